// Starts `tandem lsp` for .tdm files (docs/lsp.md).
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("tandem").get("server.path") || "tandem";
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "tandem",
    "Tandem language server",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "tandem" }] }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
