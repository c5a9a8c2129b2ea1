// Calls every RPC of inference.GRPCInferenceService and grpc.health.v1.Health on a running Usher
// with @grpc/grpc-js, loading the server's own .proto, and prints what came back as one JSON object.
// Usage: node client.js <grpc_service.proto> <health.proto> <host:port>
'use strict';
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');

const [protoPath, healthPath, address] = process.argv.slice(2);
const options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
const inference = grpc.loadPackageDefinition(loader.loadSync(protoPath, options)).inference;
const health = grpc.loadPackageDefinition(loader.loadSync(healthPath, options)).grpc.health.v1;
const client = new inference.GRPCInferenceService(address, grpc.credentials.createInsecure());
const healthClient = new health.Health(address, grpc.credentials.createInsecure());

function call(target, method, request, metadata) {
  return new Promise((resolve) => {
    let headers = {};
    const c = target[method](request, metadata || new grpc.Metadata(), (error, response) => {
      resolve(error ? { code: error.code, details: error.details } : { code: 0, response, headers });
    });
    c.on('metadata', (m) => { headers = m.getMap(); });
  });
}

function features(rows) {
  const values = [];
  for (let i = 0; i < rows * 30; i++) values.push(((i * 37) % 200) / 100 - 1);
  return values;
}

function fraudTyped(rows) {
  return {
    model_name: 'fraud',
    id: 'node-typed',
    inputs: [{ name: 'features', datatype: 'FP32', shape: [rows, 30], contents: { fp32_contents: features(rows) } }],
  };
}

function fraudRaw(rows) {
  const raw = Buffer.from(new Float32Array(features(rows)).buffer);
  return {
    model_name: 'fraud',
    id: 'node-raw',
    inputs: [{ name: 'features', datatype: 'FP32', shape: [rows, 30] }],
    raw_input_contents: [raw],
  };
}

function stream(requests) {
  return new Promise((resolve) => {
    const answers = [];
    const s = client.ModelStreamInfer();
    s.on('data', (a) => answers.push({ error_message: a.error_message, id: a.infer_response ? a.infer_response.id : null }));
    s.on('end', () => resolve({ code: 0, answers }));
    s.on('error', (e) => resolve({ code: e.code, details: e.details, answers }));
    for (const r of requests) s.write(r);
    s.end();
  });
}

async function main() {
  const out = {};
  out.health = await call(healthClient, 'Check', { service: '' });
  out.serverLive = await call(client, 'ServerLive', {});
  out.serverReady = await call(client, 'ServerReady', {});
  out.modelReady = await call(client, 'ModelReady', { name: 'fraud', version: '' });
  out.serverMetadata = await call(client, 'ServerMetadata', {});
  out.modelMetadata = await call(client, 'ModelMetadata', { name: 'fraud', version: '1' });
  out.modelMetadataUnknown = await call(client, 'ModelMetadata', { name: 'nope', version: '' });

  const typed = await call(client, 'ModelInfer', fraudTyped(2));
  const raw = await call(client, 'ModelInfer', fraudRaw(2));
  out.inferTyped = { code: typed.code, id: typed.response.id, model_version: typed.response.model_version,
    variant: typed.headers['x-usher-variant'], values: typed.response.outputs[0].contents.fp32_contents };
  const rawBytes = raw.response.raw_output_contents[0];
  out.inferRaw = { code: raw.code, id: raw.response.id,
    values: Array.from(new Float32Array(rawBytes.buffer.slice(rawBytes.byteOffset, rawBytes.byteOffset + rawBytes.length))) };
  const pinned = new grpc.Metadata();
  pinned.set('x-usher-routing-key', 'user-1');
  out.inferPinnedVersion = await call(client, 'ModelInfer', { ...fraudTyped(1), model_version: '1' }, pinned);
  out.inferBadShape = await call(client, 'ModelInfer', { model_name: 'fraud', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 29], contents: { fp32_contents: features(1).slice(1) } }] });
  out.inferUnknown = await call(client, 'ModelInfer', { ...fraudTyped(1), model_name: 'nope' });
  out.stream = await stream([fraudTyped(1), { ...fraudTyped(1), model_name: 'nope', id: 'bad' }, fraudRaw(1)]);

  out.index = await call(client, 'RepositoryIndex', { repository_name: '', ready: false });
  out.unload = await call(client, 'RepositoryModelUnload', { repository_name: '', model_name: 'fraud' });
  out.readyAfterUnload = await call(client, 'ModelReady', { name: 'fraud', version: '' });
  out.load = await call(client, 'RepositoryModelLoad', { repository_name: '', model_name: 'fraud' });
  out.readyAfterLoad = await call(client, 'ModelReady', { name: 'fraud', version: '' });
  out.loadUnknown = await call(client, 'RepositoryModelLoad', { repository_name: '', model_name: 'nope' });
  process.stdout.write(JSON.stringify(out));
  client.close();
  healthClient.close();
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
