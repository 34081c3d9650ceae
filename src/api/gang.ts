// Gang scheduling on one machine: Pods that must be bound together carry these annotations (read by the local scheduler).

/** The gang's name; members share a namespace. */
export const GroupAnnotation = 'scheduling.floe.dev/group';
/** How many members must exist and fit before any is bound. */
export const MinAvailableAnnotation = 'scheduling.floe.dev/min-available';
