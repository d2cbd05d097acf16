// extension.ts - starts catc-lsp for .cat files and connects it to VS Code.
//
// Highlighting needs no server (syntaxes/cat.tmLanguage.json); everything
// else (diagnostics, hover, definitions, symbols, completion, formatting)
// comes from `catc-lsp`, spoken to over stdio.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";
import { findExecutable } from "./server";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("catc.serverPath")) {
        await stopServer();
        await startServer();
      }
    }),
  );
  await startServer();
}

export async function deactivate(): Promise<void> {
  await stopServer();
}

async function startServer(): Promise<void> {
  const configured = vscode.workspace.getConfiguration("catc").get<string>("serverPath");
  const command = configured && configured.trim() !== "" ? configured.trim() : "catc-lsp";
  const executable = findExecutable(command);
  if (!executable) {
    await showError(
      `catc: the language server '${command}' was not found. Install catc (catc-lsp is ` +
        `installed next to catc) and put it on PATH, or set "catc.serverPath" to the full ` +
        `path of catc-lsp. Highlighting works without it.`,
    );
    return;
  }
  const serverOptions: ServerOptions = {
    run: { command: executable, transport: TransportKind.stdio },
    debug: { command: executable, transport: TransportKind.stdio },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "cat" }],
    // `catc.trace.server` is read by the client itself from this section.
    synchronize: { configurationSection: "catc" },
  };
  client = new LanguageClient("catc", "catc", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    client = undefined;
    const reason = error instanceof Error ? error.message : String(error);
    await showError(`catc: could not start the language server '${executable}': ${reason}`);
  }
}

async function showError(message: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(message, "Open Settings");
  if (choice === "Open Settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", "catc.serverPath");
  }
}

async function stopServer(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    await running.stop();
  }
}
