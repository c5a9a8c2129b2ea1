using Usher.Backends.Onnx.Format;
using Usher.Core.Tensors;
using Usher.Testing;

namespace Usher.Backends.Onnx.Tests.Format;

public sealed class OnnxModelBuilderTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Build_WithReluGraph_LoadsAndComputesRelu()
    {
        var path = Path.Combine(_temp.Path, "relu.onnx");
        new OnnxModelBuilder()
            .AddInput("x", DataType.Fp32, [-1, 4], ["batch", null])
            .AddOutput("y", DataType.Fp32, [-1, 4], ["batch", null])
            .AddNode("Relu", ["x"], ["y"])
            .Save(path);

        using var session = await TestSessions.LoadAsync(path);
        float[] x = [-1.5f, 0f, 2.25f, -0f, 3f, -7f, 1e-30f, -1e-30f];
        var y = session.Run([Tensor.FromSpan<float>("x", DataType.Fp32, [2, 4], x)], ["y"])[0];

        Assert.Equal([2L, 4L], y.Shape);
        Assert.Equal([0f, 0f, 2.25f, 0f, 3f, 0f, 1e-30f, 0f], y.AsSpan<float>().ToArray());
    }

    [Fact]
    public void Build_CalledTwiceOnEqualBuilders_GivesIdenticalBytes()
    {
        static byte[] Make() => new OnnxModelBuilder()
            .AddInput("x", DataType.Fp32, [-1, 2], ["batch", null])
            .AddInitializer("w", [2, 2], [1f, 2f, 3f, 4f])
            .AddOutput("y", DataType.Fp32, [-1, 2])
            .AddNode("MatMul", ["x", "w"], ["y"])
            .Build();

        Assert.Equal(Make(), Make());
    }

    [Fact]
    public async Task Build_WithInitializersAndEveryAttributeKind_ComputesWhatTheAttributesSay()
    {
        // Gemm(alpha: FLOAT, transB: INT), Transpose(perm: INTS), Pad(mode: STRING, pads: INT64
        // initializer) and Constant(value_floats: FLOATS), checked against hand computation.
        var path = Path.Combine(_temp.Path, "attributes.onnx");
        var builder = new OnnxModelBuilder()
            .AddInput("x", DataType.Fp32, [1, 2])
            .AddInitializer("w", [3, 2], [1f, 2f, 3f, 4f, 5f, 6f])
            .AddInitializer("pads", [4], [0L, 1L, 0L, 2L])
            .AddOutput("gemm", DataType.Fp32, [1, 3])
            .AddOutput("transposed", DataType.Fp32, [3, 1])
            .AddOutput("padded", DataType.Fp32, [1, 5])
            .AddOutput("constant", DataType.Fp32, [3])
            .AddNode("Gemm", ["x", "w"], ["gemm"], OnnxAttribute.Float("alpha", 0.5f), OnnxAttribute.Int("transB", 1))
            .AddNode("Transpose", ["gemm"], ["transposed"], OnnxAttribute.Ints("perm", 1, 0))
            .AddNode("Pad", ["x", "pads"], ["padded"], OnnxAttribute.String("mode", "edge"))
            .AddNode("Constant", [], ["constant"], OnnxAttribute.Floats("value_floats", 0.25f, -1f, 8f));
        builder.Save(path);

        using var session = await TestSessions.LoadAsync(path);
        var outputs = session.Run(
            [Tensor.FromSpan<float>("x", DataType.Fp32, [1, 2], [10f, 100f])],
            ["gemm", "transposed", "padded", "constant"]);

        // gemm = 0.5 * x · wᵀ: rows of w are (1,2), (3,4), (5,6).
        float[] gemm = [0.5f * (10 + 200), 0.5f * (30 + 400), 0.5f * (50 + 600)];
        Assert.Equal(gemm, outputs[0].AsSpan<float>().ToArray());
        Assert.Equal([3L, 1L], outputs[1].Shape);
        Assert.Equal(gemm, outputs[1].AsSpan<float>().ToArray());
        Assert.Equal([10f, 10f, 100f, 100f, 100f], outputs[2].AsSpan<float>().ToArray());
        Assert.Equal([0.25f, -1f, 8f], outputs[3].AsSpan<float>().ToArray());
    }

    [Fact]
    public async Task AddInput_WithSymbolicAndFixedDims_ReportsMinusOneForDynamicDims()
    {
        var path = Path.Combine(_temp.Path, "dims.onnx");
        new OnnxModelBuilder()
            .AddInput("x", DataType.Int32, [-1, 5, -1], ["batch", null, null])
            .AddOutput("y", DataType.Int32, [-1, 5, -1], ["batch", null, "length"])
            .AddNode("Identity", ["x"], ["y"])
            .Save(path);

        using var session = await TestSessions.LoadAsync(path);

        Assert.Equal([-1L, 5L, -1L], session.Inputs[0].Shape);
        Assert.Equal(DataType.Int32, session.Inputs[0].DataType);
        Assert.Equal([-1L, 5L, -1L], session.Outputs[0].Shape);
    }

    [Fact]
    public void Build_WithOpsetAndProducer_WritesThemIntoTheModel()
    {
        var builder = new OnnxModelBuilder { Opset = 13, ProducerName = "p" }
            .AddInput("x", DataType.Fp32, [1])
            .AddOutput("y", DataType.Fp32, [1])
            .AddNode("Identity", ["x"], ["y"]);

        var model = Usher.Backends.Onnx.Format.Protos.ModelProto.Parser.ParseFrom(builder.Build());

        Assert.Equal(8, model.IrVersion);
        Assert.Equal("p", model.ProducerName);
        Assert.Equal(13, Assert.Single(model.OpsetImport).Version);
        Assert.Equal("Identity_0", Assert.Single(model.Graph.Node).Name);
    }

    [Fact]
    public void AddInitializer_WithWrongByteCount_ThrowsNamingTheInitializer()
    {
        var error = Assert.Throws<ArgumentException>(() => new OnnxModelBuilder().AddInitializer("w", [2, 3], [1f, 2f]));

        Assert.Contains("initializer 'w'", error.Message, StringComparison.Ordinal);
        Assert.Contains("needs 24 bytes, got 8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddInput_WithDimNamesOfWrongLength_ThrowsNamingTheTensor()
    {
        var error = Assert.Throws<ArgumentException>(() => new OnnxModelBuilder().AddInput("x", DataType.Fp32, [-1, 3], ["batch"]));

        Assert.Contains("tensor 'x'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddInput_WithNegativeDimOtherThanMinusOne_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new OnnxModelBuilder().AddInput("x", DataType.Fp32, [-2]));

        Assert.Contains("dim 0 is -2", error.Message, StringComparison.Ordinal);
    }
}
