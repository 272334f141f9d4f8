export {
  parseDockerfile,
  expandVariables,
  logicalLines,
  splitWords,
  DockerfileError,
  type Dockerfile,
  type Stage,
  type Instruction,
  type CommandForm,
} from './parse.ts';
export {
  defaultBaseImages,
  resolveBaseImage,
  workspaceNode,
  type BaseImage,
  type BaseImageEntry,
} from './base-images.ts';
export {
  buildDockerfile,
  dockerignore,
  resolveUser,
  inRoot,
  type BuildOptions,
  type BuildResult,
  type ImageConfig,
  type OwnershipRecord,
} from './build.ts';
export {
  runImage,
  runImageToCompletion,
  removeImage,
  imageArgv,
  mapArgv,
  chrootScript,
  type RunImageOptions,
  type RunningImage,
} from './run.ts';
