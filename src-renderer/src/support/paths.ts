/** The last part of a path, for either separator (the engine may run on Windows or POSIX). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter((part) => part.length > 0);
  return parts.at(-1) ?? path;
}
