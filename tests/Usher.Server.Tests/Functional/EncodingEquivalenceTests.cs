using Grpc.Core;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Tensors;
using Usher.Testing;
using Usher.Testing.Models;
using static Usher.Server.Tests.Functional.WireClient;

namespace Usher.Server.Tests.Functional;

/// <summary>
/// The same inputs over REST JSON, REST binary, gRPC typed and gRPC raw give bit-identical outputs,
/// on real Kestrel: identity models of every datatype (whose output must equal the input) and the
/// fraud sample.
/// </summary>
public sealed class EncodingEquivalenceTests : IAsyncLifetime
{
    private readonly TempDirectory _repo = new();
    private UsherApp _app = null!;

    // object: a public test method cannot take Core's internal DataType.
    public static TheoryData<object> AllTypes => [.. Enum.GetValues<DataType>().Cast<object>()];

    public async Task InitializeAsync()
    {
        SampleRepository.CopySample(_repo.Path, SampleModels.FraudName);
        foreach (var type in Enum.GetValues<DataType>())
        {
            TestModels.WriteIdentity(_repo.Combine(Model(type), "1"), type);
        }

        _app = await UsherApp.StartAsync(_repo.Path, kestrel: true);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _repo.Dispose();
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public async Task Identity_EveryEncoding_ReturnsTheInputBitForBit(object boxed)
    {
        var type = (DataType)boxed;
        var input = WireTensor.Sample(TestModels.InputName(type), type);
        var expected = input with { Name = TestModels.OutputName(type) };
        foreach (var wire in Enum.GetValues<Wire>())
        {
            if (wire == Wire.GrpcTyped && type is DataType.Fp16 or DataType.Bf16)
            {
                var error = await Assert.ThrowsAsync<RpcException>(() => InferAsync(_app, wire, Model(type), input));
                Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
                continue;
            }

            var output = Assert.Single(await InferAsync(_app, wire, Model(type), input));
            Assert.True(expected.SameAs(output), $"{wire}: expected {expected}, got {output}");
        }
    }

    [Fact]
    public async Task Fraud_EveryEncoding_GivesBitIdenticalOutputs()
    {
        var random = new Random(42);
        var features = new float[5 * SampleModels.FraudFeatures];
        for (var i = 0; i < features.Length; i++)
        {
            features[i] = (float)((random.NextDouble() * 4) - 2);
        }

        var input = new WireTensor("features", DataType.Fp32, [5, SampleModels.FraudFeatures], System.Runtime.InteropServices.MemoryMarshal.AsBytes(features.AsSpan()).ToArray(), null);
        var reference = await InferAsync(_app, Wire.RestJson, "fraud", input);
        Assert.Equal(["probabilities", "label"], reference.Select(o => o.Name));
        foreach (var wire in Enum.GetValues<Wire>())
        {
            var outputs = await InferAsync(_app, wire, "fraud", input);
            Assert.Equal(reference.Count, outputs.Count);
            for (var i = 0; i < outputs.Count; i++)
            {
                Assert.True(reference[i].SameAs(outputs[i]), $"{wire}: expected {reference[i]}, got {outputs[i]}");
            }
        }
    }

    private static string Model(DataType type) => "id_" + type.ToProtocolName().ToLowerInvariant();
}
