// The image module's errors: a FloeError that also carries the reason the kubelet reports in a container's state.
import { FloeError, type StatusReason } from '../api/errors.js';

/**
 * The `state.waiting.reason` Kubernetes' kubelet reports for an image problem: `InvalidImageName` for a reference that
 * does not parse, `ErrImagePull` for a failed pull (the kubelet turns repeats into `ImagePullBackOff`),
 * `ErrImageNeverPull` for a missing image under `imagePullPolicy: Never`.
 */
export type ImagePullReason = 'InvalidImageName' | 'ErrImagePull' | 'ErrImageNeverPull';

const statusFor: Record<ImagePullReason, StatusReason> = {
  InvalidImageName: 'BadRequest',
  ErrImagePull: 'ServiceUnavailable',
  ErrImageNeverPull: 'NotFound',
};

export class ImageError extends FloeError {
  readonly pullReason: ImagePullReason;

  constructor(pullReason: ImagePullReason, message: string, options: { cause?: unknown; status?: StatusReason } = {}) {
    super(options.status ?? statusFor[pullReason], message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'ImageError';
    this.pullReason = pullReason;
  }
}
