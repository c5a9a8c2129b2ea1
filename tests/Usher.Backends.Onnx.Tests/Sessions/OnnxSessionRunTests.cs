using System.Runtime.InteropServices;
using System.Text;
using Usher.Backends.Onnx.Format;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Tensors;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Backends.Onnx.Tests.Sessions;

public sealed class OnnxSessionRunTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Run_IdentityOfEveryDatatype_RoundTripsBitExactlyInRequestedOrder()
    {
        using var session = await TestSessions.LoadAsync(TestModels.WriteIdentityAllTypes(System.IO.Path.Combine(_temp.Path, "m", "1")));
        var inputs = new[]
        {
            Fixed<byte>(DataType.Bool, 1, 0, 1, 1),
            Fixed<byte>(DataType.UInt8, 0, 255, 7, 128),
            Fixed<ushort>(DataType.UInt16, 0, ushort.MaxValue, 1, 0x8000),
            Fixed<uint>(DataType.UInt32, 0, uint.MaxValue, 1, 0x8000_0000),
            Fixed<ulong>(DataType.UInt64, 0, ulong.MaxValue, 1, 1UL << 63),
            Fixed<sbyte>(DataType.Int8, sbyte.MinValue, -1, 0, sbyte.MaxValue),
            Fixed<short>(DataType.Int16, short.MinValue, -1, 0, short.MaxValue),
            Fixed<int>(DataType.Int32, int.MinValue, -1, 0, int.MaxValue),
            Fixed<long>(DataType.Int64, long.MinValue, -1, 0, long.MaxValue),
            // FP16 bit patterns: largest finite, -0, smallest subnormal, a NaN with payload.
            Fixed<ushort>(DataType.Fp16, 0x7BFF, 0x8000, 0x0001, 0x7E01),
            // BF16 bit patterns: 1.0, -inf, a NaN with payload, smallest subnormal.
            Fixed<ushort>(DataType.Bf16, 0x3F80, 0xFF80, 0x7FC1, 0x0001),
            Fixed<uint>(DataType.Fp32, BitConverter.SingleToUInt32Bits(float.Epsilon), 0x8000_0000, 0x7FC0_0001, BitConverter.SingleToUInt32Bits(float.MaxValue)),
            Fixed<ulong>(DataType.Fp64, BitConverter.DoubleToUInt64Bits(double.Epsilon), 0x8000_0000_0000_0000, 0x7FF8_0000_0000_0001, BitConverter.DoubleToUInt64Bits(Math.PI)),
            Tensor.FromStrings(TestModels.InputName(DataType.Bytes), [2, 2], [Encoding.UTF8.GetBytes("héllo wörld"), [], Encoding.UTF8.GetBytes("日本語 ✓"), [0x00, 0x41, 0x00]]),
        };
        var outputNames = Enum.GetValues<DataType>().Reverse().Select(TestModels.OutputName).ToArray();

        var outputs = session.Run(inputs, outputNames);

        Assert.Equal(outputNames, outputs.Select(o => o.Name));
        foreach (var output in outputs)
        {
            var input = inputs.Single(i => i.DataType == output.DataType);
            Assert.Equal(input.Shape, output.Shape);
            if (output.DataType == DataType.Bytes)
            {
                Assert.Equal(input.Strings!, output.Strings!);
            }
            else
            {
                Assert.Equal(input.Data.ToArray(), output.Data.ToArray());
            }
        }
    }

    [Fact]
    public async Task Run_WithZeroRowsOfEveryDatatype_ReturnsEmptyTensorsOfTheSameShape()
    {
        using var session = await TestSessions.LoadAsync(TestModels.WriteIdentityAllTypes(System.IO.Path.Combine(_temp.Path, "m", "1")));
        var inputs = Enum.GetValues<DataType>()
            .Select(t => t == DataType.Bytes
                ? Tensor.FromStrings(TestModels.InputName(t), [0, 3], [])
                : Tensor.FromBytes(TestModels.InputName(t), t, [0, 3], ReadOnlyMemory<byte>.Empty))
            .ToArray();

        var outputs = session.Run(inputs, Enum.GetValues<DataType>().Select(TestModels.OutputName).ToArray());

        Assert.All(outputs, o => Assert.Equal([0L, 3L], o.Shape));
        Assert.All(outputs, o => Assert.Equal(0, o.Data.Length));
        Assert.Empty(outputs[^1].Strings!);
    }

    [Fact]
    public async Task Run_WithScalarInput_MultipliesByTheScalar()
    {
        using var session = await TestSessions.LoadAsync(TestModels.WriteScalarModel(System.IO.Path.Combine(_temp.Path, "m", "1")));
        float[] x = [1f, -2f, 0.5f, 3f, 0f, 1e-3f, -4f, 7f];

        var y = session.Run(
            [Tensor.FromSpan<long>("sr", DataType.Int64, [], [16000L]), Tensor.FromSpan<float>("x", DataType.Fp32, [2, 4], x)],
            ["y"])[0];

        Assert.Equal([2L, 4L], y.Shape);
        Assert.Equal(x.Select(v => v * 16000f).ToArray(), y.AsSpan<float>().ToArray());
    }

    [Fact]
    public async Task Run_WithScalarOutput_ReturnsEmptyShape()
    {
        var path = Path.Combine(_temp.Path, "sum.onnx");
        new OnnxModelBuilder()
            .AddInput("x", DataType.Fp64, [-1])
            .AddOutput("total", DataType.Fp64, [])
            .AddNode("ReduceSum", ["x"], ["total"], OnnxAttribute.Int("keepdims", 0))
            .Save(path);
        using var session = await TestSessions.LoadAsync(path);

        var total = session.Run([Tensor.FromSpan<double>("x", DataType.Fp64, [3], [1.5, 2.25, -0.75])], ["total"])[0];

        Assert.Empty(total.Shape);
        Assert.Equal(3.0, total.AsSpan<double>()[0]);
    }

    [Fact]
    public async Task Run_WithOutputNamesThatAreNotIdentifiers_ReturnsEachByName()
    {
        using var session = await TestSessions.LoadAsync(TestModels.WriteOddNamesModel(System.IO.Path.Combine(_temp.Path, "m", "1")));
        float[] x = [-1f, 2f, -3f];

        var outputs = session.Run([Tensor.FromSpan<float>("input.1", DataType.Fp32, [1, 3], x)], ["out/0:1", "39", "onnx::Flatten_0"]);

        Assert.Equal(["out/0:1", "39", "onnx::Flatten_0"], outputs.Select(o => o.Name));
        Assert.Equal(x, outputs[0].AsSpan<float>().ToArray());
        Assert.Equal([1f, -2f, 3f], outputs[1].AsSpan<float>().ToArray());
        Assert.Equal([1f, 2f, 3f], outputs[2].AsSpan<float>().ToArray());
    }

    [Fact]
    public async Task Run_From8ThreadsAt50RunsEach_EqualsSequentialResults()
    {
        var path = Path.Combine(_temp.Path, "fraud.onnx");
        await File.WriteAllBytesAsync(path, SampleModels.BuildFraud(1));
        using var session = await TestSessions.LoadAsync(path);
        const int Threads = 8, RunsPerThread = 50;
        var requests = new Tensor[Threads * RunsPerThread];
        var random = new Random(9);
        for (var i = 0; i < requests.Length; i++)
        {
            var batch = 1 + (i % 5);
            var features = Enumerable.Range(0, batch * 30).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
            requests[i] = Tensor.FromSpan<float>("features", DataType.Fp32, [batch, 30], features);
        }

        var sequential = requests.Select(r => session.Run([r], ["probabilities", "label"])).ToArray();
        var concurrent = new IReadOnlyList<Tensor>[requests.Length];
        using var start = new Barrier(Threads);
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var k = 0; k < RunsPerThread; k++)
            {
                var i = (k * Threads) + t;
                concurrent[i] = session.Run([requests[i]], ["probabilities", "label"]);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal(sequential[i][0].Data.ToArray(), concurrent[i][0].Data.ToArray());
            Assert.Equal(sequential[i][1].Data.ToArray(), concurrent[i][1].Data.ToArray());
        }
    }

    [Fact]
    public async Task Run_WithUnknownInputName_ThrowsNamingTheModelAndOnnxRuntimesReason()
    {
        using var session = await TestSessions.LoadAsync(TestModels.WriteFixedBatchModel(System.IO.Path.Combine(_temp.Path, "m", "1")), modelName: "fixed", version: 3);
        var x = Tensor.FromSpan<float>("x", DataType.Fp32, [1, 4], new float[4]);

        var error = Assert.Throws<InvalidOperationException>(
            () => session.Run([x, Tensor.FromSpan<float>("nope", DataType.Fp32, [1, 4], new float[4])], ["y"]));

        Assert.StartsWith("model 'fixed' version 3: ONNX Runtime failed to run:", error.Message, StringComparison.Ordinal);
        Assert.Contains("nope", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WithAnInputLeftOut_ThrowsNamingTheMissingInput()
    {
        using var session = await TestSessions.LoadAsync(TestModels.WriteScalarModel(System.IO.Path.Combine(_temp.Path, "m", "1")));

        var error = Assert.Throws<InvalidOperationException>(
            () => session.Run([Tensor.FromSpan<float>("x", DataType.Fp32, [1, 4], new float[4])], ["y"]));

        Assert.Equal("model 'm' version 1: input 'sr' was not given; the model takes 'sr', 'x'", error.Message);
    }

    private static Tensor Fixed<T>(DataType dataType, params T[] values)
        where T : unmanaged
        => Tensor.FromBytes(TestModels.InputName(dataType), dataType, [2, values.Length / 2], MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
}
