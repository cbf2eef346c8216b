import type { Step } from '../pipeline.ts';
import { programsStep } from './programs.ts';
import { pyindexStep } from './pyindex.ts';
import { diskStep } from './disk.ts';
import { diskUsageStep } from './disk-usage.ts';
import { engineStep } from './engine.ts';
import { imageSourcesStep } from './image-sources.ts';
import { imagesStep } from './images.ts';
import { initramfsStep } from './initramfs.ts';
import { kernelStep } from './kernel.ts';
import { publishStep } from './publish.ts';
import { rootfsStep } from './rootfs.ts';
import { snapshotStep } from './snapshot.ts';

/** Every step of the guest build, in the order a full build runs them. */
export const STEPS: Step[] = [
  rootfsStep, engineStep, kernelStep, initramfsStep, imageSourcesStep, programsStep, pyindexStep, imagesStep, diskStep, snapshotStep, diskUsageStep, publishStep,
];
