/** Bytes as whole mebibytes, for progress lines. */
export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}
