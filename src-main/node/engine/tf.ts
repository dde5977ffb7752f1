/**
 * TensorFlow.js as the engine uses it: core (tensors, ops, gradients, io), layers (the ResNet model)
 * and the pure-JS cpu backend. The `@tensorflow/tfjs` umbrella would add WebGL, the graph-model
 * converter and tf.data, none of which run here, to the installed app. The wasm backend is loaded by
 * engine/backend.ts. Every engine module imports tfjs from here, so all share one tfjs-core.
 */
import { version_core } from '@tensorflow/tfjs-core';
import { version_layers } from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';

export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';

/** Versions as the umbrella package reports them (`tf.version.tfjs` is tfjs-core's). */
export const version = { tfjs: version_core, 'tfjs-core': version_core, 'tfjs-layers': version_layers } as const;
