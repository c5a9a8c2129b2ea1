using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Usher.Backends.Onnx.Format;
using Usher.Backends.Onnx.Format.Protos;
using Usher.Core.Backends;
using Usher.Core.Models;
using Usher.Core.Tensors;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Backends.Onnx.Tests;

public sealed class OnnxBackendTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Backend_NamesItsPlatformAndModelFile()
    {
        var backend = new OnnxBackend();

        Assert.Equal("onnxruntime_onnx", backend.Platform);
        Assert.Equal("model.onnx", backend.ModelFileName);
    }

    [SkippableFact]
    public async Task LoadAsync_WithCudaOnThisBuild_ThrowsClearModelLoadException()
    {
        var available = OrtEnv.Instance().GetAvailableProviders();
        Skip.If(available.Contains("CUDAExecutionProvider"), "this ONNX Runtime build has CUDA");
        var path = TestModels.WriteFixedBatchModel(System.IO.Path.Combine(_temp.Path, "m", "1"));

        var error = await Assert.ThrowsAsync<ModelLoadException>(
            () => TestSessions.LoadAsync(path, new OnnxRuntimeSettings { ExecutionProvider = ExecutionProvider.Cuda }, "gpu-model", 2));

        Assert.Equal(
            "model 'gpu-model' version 2: execution_provider 'cuda' was requested but this ONNX Runtime build has no CUDA support " +
            $"(available: {string.Join(", ", available)}); install the GPU build or set execution_provider: cpu",
            error.Message);
    }

    [Fact]
    public async Task LoadAsync_WithCorruptFile_ThrowsModelLoadExceptionNamingTheFile()
    {
        var path = TestModels.WriteBroken(System.IO.Path.Combine(_temp.Path, "m", "1"));

        var error = await Assert.ThrowsAsync<ModelLoadException>(() => TestSessions.LoadAsync(path, modelName: "broken"));

        Assert.StartsWith($"model 'broken' version 1: ONNX Runtime cannot load '{path}': ", error.Message, StringComparison.Ordinal);
        Assert.IsType<OnnxRuntimeException>(error.InnerException);
    }

    [Fact]
    public async Task LoadAsync_WithMissingFile_ThrowsModelLoadExceptionNamingTheFile()
    {
        var path = Path.Combine(System.IO.Path.Combine(_temp.Path, "m", "1"), "model.onnx");

        var error = await Assert.ThrowsAsync<ModelLoadException>(() => TestSessions.LoadAsync(path));

        Assert.Equal($"model 'm' version 1: model file '{path}' does not exist; put the ONNX model there or remove the version directory", error.Message);
    }

    [Fact]
    public async Task LoadAsync_ReportsMinusOneForDynamicDimsAndEmptyShapeForScalars()
    {
        using var scalar = await TestSessions.LoadAsync(TestModels.WriteScalarModel(System.IO.Path.Combine(_temp.Path, "m", "1")));
        using var batchNotFirst = await TestSessions.LoadAsync(TestModels.WriteBatchNotFirstModel(System.IO.Path.Combine(_temp.Path, "m", "2")));
        using var fixedBatch = await TestSessions.LoadAsync(TestModels.WriteFixedBatchModel(System.IO.Path.Combine(_temp.Path, "m", "3")));
        using var identity = await TestSessions.LoadAsync(TestModels.WriteIdentityAllTypes(System.IO.Path.Combine(_temp.Path, "m", "4")));

        Assert.Equal(("sr", DataType.Int64), (scalar.Inputs[0].Name, scalar.Inputs[0].DataType));
        Assert.Empty(scalar.Inputs[0].Shape);
        Assert.Equal([-1L, 4L], scalar.Inputs[1].Shape);
        Assert.Equal([2L, -1L, 3L], batchNotFirst.Inputs[0].Shape);
        Assert.Equal([2L, -1L, 3L], batchNotFirst.Outputs[0].Shape);
        Assert.Equal([1L, 4L], fixedBatch.Inputs[0].Shape);
        Assert.Equal(Enum.GetValues<DataType>(), identity.Inputs.Select(i => i.DataType));
        Assert.Equal(Enum.GetValues<DataType>().Select(TestModels.OutputName), identity.Outputs.Select(o => o.Name));
        Assert.All(identity.Inputs, i => Assert.Equal([-1L, -1L], i.Shape));
    }

    [Theory]
    [InlineData(14, "COMPLEX64")]
    [InlineData(17, "FLOAT8E4M3FN")]
    public async Task LoadAsync_WithUnsupportedElementType_ThrowsNamingTheTensor(int onnxElementType, string typeName)
    {
        // An unused input of a type Usher has no datatype for, beside a served one, added to the
        // raw protos.
        var bytes = new OnnxModelBuilder()
            .AddInput("x", DataType.Fp32, [1])
            .AddOutput("y", DataType.Fp32, [1])
            .AddNode("Identity", ["x"], ["y"])
            .Build();
        var model = ModelProto.Parser.ParseFrom(bytes);
        model.Graph.Input.Add(new ValueInfoProto { Name = "z", Type = new TypeProto { TensorType = new() { ElemType = onnxElementType, Shape = new() } } });
        var path = Path.Combine(_temp.Path, "unservable.onnx");
        await File.WriteAllBytesAsync(path, model.ToByteArray());

        var error = await Assert.ThrowsAsync<ModelLoadException>(() => TestSessions.LoadAsync(path));

        Assert.StartsWith($"model 'm' version 1: input 'z' has element type {typeName}, which Usher cannot serve (supported: BOOL, ", error.Message, StringComparison.Ordinal);
    }
}
