// Compiles contracts/*.sol with the pinned solc (package-lock.json) into build/<Contract>.json:
// {contractName, sourceName, compiler, abi, bytecode, deployedBytecode}. Run by `make setup`;
// the same sources always give the same bytecode.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const sourcesDir = path.join(__dirname, "contracts");
// An optional argument names another output directory (the tests compile afresh into one).
const buildDir = process.argv[2] ? path.resolve(process.argv[2]) : path.join(__dirname, "build");

const sources = {};
for (const file of fs.readdirSync(sourcesDir).filter((f) => f.endsWith(".sol")).sort()) {
  sources[file] = { content: fs.readFileSync(path.join(sourcesDir, file), "utf8") };
}
const input = {
  language: "Solidity",
  sources,
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 10000 },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const message of output.errors || []) process.stderr.write(message.formattedMessage + "\n");
if (errors.length) process.exit(1);

fs.mkdirSync(buildDir, { recursive: true });
for (const [file, contracts] of Object.entries(output.contracts)) {
  for (const [name, contract] of Object.entries(contracts)) {
    if (contract.evm.bytecode.object === "") continue; // an interface
    const artifact = {
      contractName: name,
      sourceName: `contracts/${file}`,
      compiler: solc.version(),
      abi: contract.abi,
      bytecode: "0x" + contract.evm.bytecode.object,
      deployedBytecode: "0x" + contract.evm.deployedBytecode.object,
    };
    const target = path.join(buildDir, `${name}.json`);
    fs.writeFileSync(target + ".tmp", JSON.stringify(artifact, null, 2) + "\n");
    fs.renameSync(target + ".tmp", target);
  }
}
