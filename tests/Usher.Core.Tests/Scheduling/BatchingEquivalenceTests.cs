using Usher.Backends.Onnx;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Tensors;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Core.Tests.Scheduling;

/// <summary>Batching never changes results: every sample model answers the same alone and batched with others.</summary>
public sealed class BatchingEquivalenceTests : IAsyncLifetime
{
    private const string Batched = "dynamic_batching: { max_queue_delay_microseconds: 50000 }\n";
    private readonly TempDirectory _off = new();
    private readonly TempDirectory _on = new();
    private ModelManager _unbatched = null!;
    private ModelManager _batched = null!;

    public async Task InitializeAsync()
    {
        foreach (var repo in new[] { _off, _on })
        {
            SampleModels.Generate(repo.Path, includeLarge: true, overwrite: true);
            TestModels.WriteIdentityAllTypes(repo.Combine("identity", "1"));
            TestModels.WriteScalarModel(repo.Combine("scalar", "1"));
            TestModels.WriteFixedBatchModel(repo.Combine("fixed", "1"));
        }

        File.WriteAllText(_on.Combine("fraud", "config.yaml"), "version_policy: { all: {} }\n" + Batched);
        File.WriteAllText(_on.Combine("mlp-large", "config.yaml"), Batched);
        File.WriteAllText(_on.Combine("identity", "config.yaml"), Batched);
        File.WriteAllText(_on.Combine("scalar", "config.yaml"), "dynamic_batching: {}\n");
        _unbatched = new ModelManager(new OnnxBackend(), new RepositoryOptions { Path = _off.Path });
        _batched = new ModelManager(new OnnxBackend(), new RepositoryOptions { Path = _on.Path });
        await _unbatched.LoadAllAsync(CancellationToken.None);
        await _batched.LoadAllAsync(CancellationToken.None);
        Assert.True(_unbatched.IsReady);
        Assert.True(_batched.IsReady);
    }

    public async Task DisposeAsync()
    {
        await _unbatched.DisposeAsync();
        await _batched.DisposeAsync();
        _off.Dispose();
        _on.Dispose();
    }

    public static TheoryData<string, long, bool> Models => new()
    {
        { "fraud", 1, true },
        { "fraud", 2, true },
        { "mlp-large", 1, true },
        { "identity", 1, true },
        { "scalar", 1, false },
        { "fixed", 1, false },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Batched_OutputsEqualUnbatched_BitForBit(string model, long version, bool batchable)
    {
        var reference = _unbatched.Acquire(model, version).Value!;
        var subject = _batched.Acquire(model, version).Value!;
        try
        {
            var random = new Random(42);
            var requests = Enumerable.Range(0, 6).Select(i => Request(model, reference.Signature, rows: 1 + (i % 3), random)).ToList();
            var expected = new List<InferenceResponse>();
            foreach (var request in requests)
            {
                expected.Add((await reference.InferAsync(request, CancellationToken.None)).Value!);
            }

            var actual = await Task.WhenAll(requests.Select(r => subject.InferAsync(r, CancellationToken.None).AsTask()));

            for (var i = 0; i < requests.Count; i++)
            {
                Assert.True(actual[i].IsSuccess, actual[i].Error?.Message);
                var got = actual[i].Value!.Outputs;
                Assert.Equal(expected[i].Outputs.Count, got.Count);
                for (var o = 0; o < got.Count; o++)
                {
                    Assert.Equal(expected[i].Outputs[o].Shape, got[o].Shape);
                    Assert.Equal(expected[i].Outputs[o].Data.ToArray(), got[o].Data.ToArray());
                    Assert.Equal(expected[i].Outputs[o].Strings?.Select(Convert.ToHexString), got[o].Strings?.Select(Convert.ToHexString));
                }
            }

            var executions = subject.Batcher.ExecutionTime.Samples;
            if (batchable)
            {
                Assert.True(executions < requests.Count, $"{model}: {requests.Count} requests ran in {executions} batches; nothing was batched");
                Assert.Contains(actual, r => r.Value!.Timings.Compute > TimeSpan.Zero);
            }
            else
            {
                Assert.Equal(requests.Count, executions);
            }
        }
        finally
        {
            reference.Release();
            subject.Release();
        }
    }

    private static InferenceRequest Request(string model, Usher.Core.Models.ModelSignature signature, int rows, Random random)
    {
        var inputs = new List<Tensor>();
        foreach (var spec in signature.Inputs)
        {
            var shape = spec.Shape.Select((d, i) => i == 0 && signature.IsBatched ? rows : d < 0 ? 3 : d).ToArray();
            var count = (int)TensorShape.ElementCount(shape);
            if (spec.DataType == DataType.Bytes)
            {
                inputs.Add(Tensor.FromStrings(spec.Name, shape, [.. Enumerable.Range(0, count).Select(i => System.Text.Encoding.UTF8.GetBytes($"s{random.Next(1000)}é"))]));
                continue;
            }

            var bytes = new byte[count * spec.DataType.ElementSize()];
            random.NextBytes(bytes);
            if (spec.DataType is DataType.Fp32)
            {
                var floats = Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
                bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(floats.AsSpan()).ToArray();
            }
            else if (spec.DataType is DataType.Bool)
            {
                bytes = [.. bytes.Select(b => (byte)(b & 1))];
            }
            else if (spec.DataType is DataType.Int64 && spec.Shape.Length == 0)
            {
                bytes = BitConverter.GetBytes(3L);
            }

            inputs.Add(Tensor.FromBytes(spec.Name, spec.DataType, shape, bytes));
        }

        _ = model;
        return new InferenceRequest { ModelName = model, Inputs = inputs };
    }
}
