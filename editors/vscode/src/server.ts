// server.ts - finds the catc-lsp executable as a shell would, so that a
// missing server gets one clear message rather than a failed spawn.
// No vscode import: test/server.test.js runs it under plain Node.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The full path of `command` (a name looked up on PATH, or a path, which
 *  may start with `~/`), or undefined when there is no such executable. */
export function findExecutable(
  command: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (command === "~" || command.startsWith("~/")) {
    command = path.join(os.homedir(), command.slice(1));
  }
  const extensions =
    platform === "win32" ? ["", ...(env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";")] : [""];
  const candidates = (file: string) => extensions.map((ext) => file + ext);
  if (command.includes("/") || command.includes(path.sep)) {
    return candidates(path.resolve(command)).find(isExecutableFile);
  }
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (dir !== "") {
      const found = candidates(path.join(dir, command)).find(isExecutableFile);
      if (found) {
        return found;
      }
    }
  }
  return undefined;
}
