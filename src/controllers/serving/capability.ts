// KServe as a Floe capability: the serving.kserve.io CRDs, Floe's built-in runtimes, the controllers and the ingress.
import { readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { PatchType } from '../../client/client.js';
import type { Capability, ResourceAttributes, Route } from '../../controller/index.js';
import { reviewedByCluster, subjectAccessReviewer, type AccessReviewer } from '../profiles/access.js';
import { ModelServer } from '../../serving/model-server.js';
import { OnnxModel } from '../../serving/onnx.js';
import { builtinRuntimes } from './builtin-runtimes.js';
import { servingCrds } from './crds.js';
import { ServingIngress, ServingPrefix } from './dataplane.js';
import { GrpcIngress } from './grpc-ingress.js';
import { addServingControllers } from './index.js';
import { ActivatedAtAnnotation, type InProcessModel, type InProcessSettings } from './isvc-controller.js';
import { Group, InferenceServiceRef } from './types.js';

export const servingCapability: Capability = {
  name: 'serving',
  modes: ['embedded'],
  crds: servingCrds,
  defaults: ({ pythonDir }) => builtinRuntimes({ pythonDir }),
  start(ctx) {
    // The ingress: /serving/<namespace>/<name>/… reaches that InferenceService's predictor.
    const ingress = new ServingIngress({
      log: ctx.logger,
      // A request for an InferenceService scaled to zero: tell its controller through the API, like Knative's activator.
      activate: (namespace, name) => {
        void ctx.client
          .patch(InferenceServiceRef, name, namespace, { metadata: { annotations: { [ActivatedAtAnnotation]: new Date().toISOString() } } }, PatchType.Merge)
          .catch((err: unknown) => ctx.logger.warn({ err, namespace, name }, 'cannot wake an InferenceService scaled to zero'));
      },
    });
    const controllers = addServingControllers(ctx.manager, { ingress, ingressUrl: ctx.url, loaders: { onnxruntime: loadOnnx }, stagingDir: join(ctx.dataDir, 'serving', 'models') });
    // gRPC (inference.GRPCInferenceService) on the same listener, routed by :authority (grpc-ingress.ts).
    const grpc = new GrpcIngress({ ingress, client: ctx.client, ...(ctx.http2 ? { access: ctx.http2 } : {}) });
    ctx.http2?.take((socket) => grpc.accept(socket));
    return Promise.resolve({
      routes: [servingRoute(ingress)],
      close: async () => {
        grpc.close();
        await controllers.close();
      },
    });
  },
};

/**
 * KServe on a real cluster (`floe controllers`): the CRDs and the controllers, every InferenceService in raw mode
 * (Deployment, Service, HPA; the cluster's controllers and nodes run the Pods), as KServe runs without Knative.
 * Floe's built-in runtimes are not installed there: they run local environments (KServe's own manifests install its
 * images' runtimes); the in-process ONNX runtime serves from this process.
 */
export const servingClusterCapability: Capability = {
  // Its own name: capability names are unique across the list, whatever the mode.
  name: 'serving-cluster',
  modes: ['cluster'],
  crds: servingCrds,
  start(ctx) {
    const ingress = new ServingIngress({ log: ctx.logger });
    const controllers = addServingControllers(ctx.manager, { ingress, ingressUrl: ctx.url, loaders: { onnxruntime: loadOnnx }, stagingDir: join(ctx.dataDir, 'serving', 'models'), cluster: true });
    // The same ingress route: models served in this process answer here, raw-mode predictors through their Service
    // (reachable where this process runs in the cluster). The cluster's RBAC decides who may call a model.
    return Promise.resolve({ routes: [servingRoute(ingress, subjectAccessReviewer(ctx.client))], close: () => controllers.close() });
  },
};

/** `create` (or `get` for GET/HEAD) on the InferenceService's `proxy` subresource, as `kubectl proxy`-style access is. */
function servingAttributes(req: IncomingMessage, url: URL): ResourceAttributes {
  const [namespace, name] = url.pathname.slice(ServingPrefix.length + 1).split('/');
  return { verb: req.method === 'GET' || req.method === 'HEAD' ? 'get' : 'create', group: Group, resource: 'inferenceservices', subresource: 'proxy', ...(namespace ? { namespace: decodeURIComponent(namespace) } : {}), ...(name ? { name: decodeURIComponent(name) } : {}) };
}

/**
 * The ingress: /serving/<namespace>/<name>/… reaches that InferenceService's predictor. Embedded, Floe's RBAC decides
 * (the front door); on a cluster, `review` asks the cluster's (Floe holds no RBAC there).
 */
function servingRoute(ingress: ServingIngress, review?: AccessReviewer): Route {
  const handle = (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => ingress.handle(req, res, url);
  return {
    prefix: `${ServingPrefix}/`,
    access: review
      ? { kind: 'in-handler', why: "on a cluster the InferenceService's proxy subresource is reviewed by the cluster's RBAC (SubjectAccessReview)" }
      : { kind: 'resource', attributes: servingAttributes },
    // KServe's V1/V2 JSON, the V2 binary-tensor extension and CloudEvents; never the types a form can send.
    bodyTypes: ['application/json', 'application/octet-stream', 'application/cloudevents+json'],
    handle: review ? reviewedByCluster(review, servingAttributes, handle) : handle,
  };
}

/** The in-process ONNX runtime: one model server per InferenceService, the model from a .onnx file or a folder holding one. */
async function loadOnnx(name: string, path: string, settings: InProcessSettings = {}): Promise<InProcessModel> {
  const file = onnxFile(path);
  const server = new ModelServer({ name: 'floe-onnxruntime', ...(settings.maxBodyBytes !== undefined ? { maxBodyBytes: settings.maxBodyBytes } : {}) });
  await server.add(await OnnxModel.load(name, file));
  return {
    handle: (req, res, p) => server.handle(req, res, p),
    grpc: server,
    close: async () => {
      await server.close();
    },
    addModel: async (model, modelPath) => {
      await server.add(await OnnxModel.load(model, onnxFile(modelPath)));
    },
    removeModel: async (model) => {
      await server.remove(model);
    },
    models: () => server.list().map((m) => m.name),
  };
}

function onnxFile(path: string): string {
  if (!statSync(path).isDirectory()) return path;
  const file = readdirSync(path).filter((f) => f.endsWith('.onnx')).sort((a, b) => Number(b === 'model.onnx') - Number(a === 'model.onnx'))[0];
  if (!file) throw new Error(`no .onnx file in ${path}`);
  return join(path, file);
}
