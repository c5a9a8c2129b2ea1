using Usher.Backends.Onnx.Samples;
using Usher.Core.Tensors;
using Usher.Server.RequestLogging;
using Usher.Server.Tests.Functional;
using Usher.Testing;
using Usher.Testing.Models;
using static Usher.Server.Tests.Functional.WireClient;

namespace Usher.Server.Tests.RequestLogging;

/// <summary>
/// Request logging on real Kestrel with real HTTP and gRPC clients: at sample 1.0 every request sent
/// is written, once, and reads back with the tensors the client sent and received, bit for bit.
/// </summary>
public sealed class RequestLoggingServerTests : IDisposable
{
    private readonly TempDirectory _repo = new();

    public void Dispose() => _repo.Dispose();

    [Theory]
    [InlineData("jsonl")]
    [InlineData("parquet")]
    public async Task SampleOne_WritesEveryRequestOverEveryWire_ReadableBackWithEqualTensors(string format)
    {
        SampleRepository.CopySample(_repo.Path, SampleModels.FraudName);
        File.AppendAllText(_repo.Combine("fraud", "config.yaml"), $"logging:\n  sample: 1.0\n  path: requests\n  format: {format}\n");
        DataType[] types = [DataType.Fp32, DataType.Int64, DataType.Fp16, DataType.Bool, DataType.Bytes];
        foreach (var type in types)
        {
            TestModels.WriteIdentity(_repo.Combine(Model(type), "1"), type);
            File.WriteAllText(_repo.Combine(Model(type), "config.yaml"), $"logging: {{sample: 1, path: {_repo.Combine("logs", Model(type))}, format: {format}}}\n");
        }

        var sent = new List<(string Model, WireTensor Input, IReadOnlyList<WireTensor> Outputs)>();
        await using (var app = await UsherApp.StartAsync(_repo.Path, kestrel: true))
        {
            var random = new Random(5);
            foreach (var wire in Enum.GetValues<Wire>())
            {
                for (var i = 0; i < 2; i++)
                {
                    var features = new float[3 * SampleModels.FraudFeatures];
                    for (var j = 0; j < features.Length; j++)
                    {
                        features[j] = (float)((random.NextDouble() * 4) - 2);
                    }

                    var input = new WireTensor("features", DataType.Fp32, [3, SampleModels.FraudFeatures], System.Runtime.InteropServices.MemoryMarshal.AsBytes(features.AsSpan()).ToArray(), null);
                    sent.Add(("fraud", input, await InferAsync(app, wire, "fraud", input)));
                }
            }

            foreach (var type in types)
            {
                var input = WireTensor.Sample(TestModels.InputName(type), type);
                foreach (var wire in new[] { Wire.RestJson, Wire.GrpcRaw })
                {
                    sent.Add((Model(type), input, await InferAsync(app, wire, Model(type), input)));
                }
            }
        }

        // Stopping the server wrote and closed every log; each model's folder holds its requests in order.
        await AssertLoggedAsync(_repo.Combine("fraud", "requests"), "fraud", [.. sent.Where(s => s.Model == "fraud")], format);
        foreach (var type in types)
        {
            await AssertLoggedAsync(_repo.Combine("logs", Model(type)), Model(type), [.. sent.Where(s => s.Model == Model(type))], format);
        }
    }

    [Fact]
    public async Task NoLoggingSection_WritesNothing()
    {
        SampleRepository.CopySample(_repo.Path, SampleModels.FraudName);
        await using (var app = await UsherApp.StartAsync(_repo.Path, kestrel: true))
        {
            var input = new WireTensor("features", DataType.Fp32, [1, SampleModels.FraudFeatures], new byte[4 * SampleModels.FraudFeatures], null);
            await InferAsync(app, Wire.RestJson, "fraud", input);
        }

        Assert.Equal(["1", "2", "config.yaml"], Directory.EnumerateFileSystemEntries(_repo.Combine("fraud")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    private static async Task AssertLoggedAsync(string directory, string model, List<(string Model, WireTensor Input, IReadOnlyList<WireTensor> Outputs)> sent, string format)
    {
        Assert.True(RequestLogReader.TryOpen(directory, model, out var reader, out var problem), problem);
        Assert.All(reader.Files, f => Assert.EndsWith("." + format, f, StringComparison.Ordinal));
        var entries = await reader.ReadAllAsync(1000, CancellationToken.None);

        Assert.Equal(sent.Count, entries.Count);
        for (var i = 0; i < sent.Count; i++)
        {
            var entry = entries[i];
            Assert.Equal((model, model, $"{model}:{entry.Version}"), (entry.Model, entry.Endpoint, entry.Variant));
            Assert.True(entry.LatencyMs > 0, $"latency {entry.LatencyMs}");
            var logged = Assert.Single(entry.Inputs);
            Assert.True(sent[i].Input.SameAs(ToWire(logged)), $"{model} request {i}: sent {sent[i].Input}, logged {ToWire(logged)}");
            Assert.Equal(sent[i].Outputs.Count, entry.Outputs.Count);
            for (var o = 0; o < entry.Outputs.Count; o++)
            {
                Assert.Equal(sent[i].Outputs[o].Name, entry.Outputs[o].Name);
                Assert.True(sent[i].Outputs[o].SameAs(ToWire(entry.Outputs[o])), $"{model} request {i}: got {sent[i].Outputs[o]}, logged {ToWire(entry.Outputs[o])}");
            }
        }
    }

    private static WireTensor ToWire(Tensor t) => new(t.Name, t.DataType, t.Shape, t.Data.ToArray(), t.Strings);

    private static string Model(DataType type) => "id_" + type.ToProtocolName().ToLowerInvariant();
}
