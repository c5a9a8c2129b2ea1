using Usher.Backends.Onnx;
using Usher.Backends.Onnx.Format;
using Usher.Core.Tensors;

namespace Usher.Testing.Models;

/// <summary>
/// Tiny ONNX models, each shaped like a quirk that real models have. Every method writes
/// <c>&lt;versionDirectory&gt;/model.onnx</c> (creating the directory) and returns its path.
/// </summary>
internal static class TestModels
{
    /// <summary>
    /// One Identity per datatype: input <c>in_&lt;type&gt;</c> to output <c>out_&lt;type&gt;</c>, both
    /// [-1,-1], where &lt;type&gt; is the protocol name in lower case (<c>in_fp32</c>, <c>out_bytes</c>).
    /// </summary>
    public static string WriteIdentityAllTypes(string versionDirectory)
    {
        var builder = new OnnxModelBuilder("identity_all_types");
        foreach (var dataType in Enum.GetValues<DataType>())
        {
            builder.AddInput(InputName(dataType), dataType, [-1, -1]);
            builder.AddOutput(OutputName(dataType), dataType, [-1, -1]);
            builder.AddNode("Identity", [InputName(dataType)], [OutputName(dataType)]);
        }

        return Save(builder, versionDirectory);
    }

    /// <summary>
    /// One Identity of one datatype: input <c>in_&lt;type&gt;</c> to output <c>out_&lt;type&gt;</c>, both
    /// [-1,-1]; a request needs only that one input (a client without FP16 can call the others).
    /// </summary>
    public static string WriteIdentity(string versionDirectory, DataType dataType)
    {
        var builder = new OnnxModelBuilder("identity_" + dataType.ToProtocolName().ToLowerInvariant())
            .AddInput(InputName(dataType), dataType, [-1, -1])
            .AddOutput(OutputName(dataType), dataType, [-1, -1])
            .AddNode("Identity", [InputName(dataType)], [OutputName(dataType)]);
        return Save(builder, versionDirectory);
    }

    /// <summary>The identity model's input for <paramref name="dataType"/>, e.g. <c>in_fp16</c>.</summary>
    public static string InputName(DataType dataType) => "in_" + dataType.ToProtocolName().ToLowerInvariant();

    /// <summary>The identity model's output for <paramref name="dataType"/>, e.g. <c>out_fp16</c>.</summary>
    public static string OutputName(DataType dataType) => "out_" + dataType.ToProtocolName().ToLowerInvariant();

    /// <summary>
    /// A model with a scalar input, like Silero VAD's sample rate: <c>sr</c> INT64 [] and <c>x</c>
    /// FP32 [-1,4]; output <c>y</c> FP32 [-1,4] = x * sr.
    /// </summary>
    public static string WriteScalarModel(string versionDirectory)
    {
        var builder = new OnnxModelBuilder("scalar")
            .AddInput("sr", DataType.Int64, [])
            .AddInput("x", DataType.Fp32, [-1, 4], ["batch", null])
            .AddOutput("y", DataType.Fp32, [-1, 4], ["batch", null])
            .AddNode("Cast", ["sr"], ["sr_float"], OnnxAttribute.Int("to", 1))
            .AddNode("Mul", ["x", "sr_float"], ["y"]);
        return Save(builder, versionDirectory);
    }

    /// <summary>
    /// Outputs named like exported models name them: input <c>input.1</c> FP32 [-1,3]; outputs
    /// <c>39</c> = -x, <c>onnx::Flatten_0</c> = |x| and <c>out/0:1</c> = x.
    /// </summary>
    public static string WriteOddNamesModel(string versionDirectory)
    {
        var builder = new OnnxModelBuilder("odd_names")
            .AddInput("input.1", DataType.Fp32, [-1, 3])
            .AddOutput("39", DataType.Fp32, [-1, 3])
            .AddOutput("onnx::Flatten_0", DataType.Fp32, [-1, 3])
            .AddOutput("out/0:1", DataType.Fp32, [-1, 3])
            .AddNode("Neg", ["input.1"], ["39"])
            .AddNode("Abs", ["input.1"], ["onnx::Flatten_0"])
            .AddNode("Identity", ["input.1"], ["out/0:1"]);
        return Save(builder, versionDirectory);
    }

    /// <summary>A model whose batch is fixed at 1, like hello_deepa: <c>x</c> FP32 [1,4] to <c>y</c> = x + x.</summary>
    public static string WriteFixedBatchModel(string versionDirectory)
    {
        var builder = new OnnxModelBuilder("fixed_batch")
            .AddInput("x", DataType.Fp32, [1, 4])
            .AddOutput("y", DataType.Fp32, [1, 4])
            .AddNode("Add", ["x", "x"], ["y"]);
        return Save(builder, versionDirectory);
    }

    /// <summary>
    /// A model whose batch dimension is not the first, like Silero's state: <c>state</c> FP32
    /// [2,-1,3] (the -1 named <c>batch</c>) to <c>stateN</c> = -state.
    /// </summary>
    public static string WriteBatchNotFirstModel(string versionDirectory)
    {
        var builder = new OnnxModelBuilder("batch_not_first")
            .AddInput("state", DataType.Fp32, [2, -1, 3], [null, "batch", null])
            .AddOutput("stateN", DataType.Fp32, [2, -1, 3], [null, "batch", null])
            .AddNode("Neg", ["state"], ["stateN"]);
        return Save(builder, versionDirectory);
    }

    /// <summary>
    /// A model of a feature rollout: <c>features</c> FP32 [-1,4] to <c>score</c> FP32 [-1,4] = features;
    /// with <paramref name="deviceHistory"/>, a second input <c>device_history</c> FP32 [-1,4] and
    /// <c>score</c> = features + device_history (a newer version that needs one more input).
    /// </summary>
    public static string WriteFeaturesModel(string versionDirectory, bool deviceHistory)
    {
        var builder = new OnnxModelBuilder(deviceHistory ? "features_history" : "features")
            .AddInput("features", DataType.Fp32, [-1, 4], ["batch", null])
            .AddOutput("score", DataType.Fp32, [-1, 4], ["batch", null]);
        builder = deviceHistory
            ? builder.AddInput("device_history", DataType.Fp32, [-1, 4], ["batch", null]).AddNode("Add", ["features", "device_history"], ["score"])
            : builder.AddNode("Identity", ["features"], ["score"]);
        return Save(builder, versionDirectory);
    }

    /// <summary>A file that is not an ONNX model (bytes that are no valid protobuf).</summary>
    public static string WriteBroken(string versionDirectory)
    {
        var path = ModelPath(versionDirectory);
        Directory.CreateDirectory(versionDirectory);
        byte[] garbage = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, .. "this is not an ONNX model"u8];
        File.WriteAllBytes(path, garbage);
        return path;
    }

    private static string ModelPath(string versionDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(versionDirectory);
        return Path.Combine(versionDirectory, OnnxBackend.DefaultModelFileName);
    }

    private static string Save(OnnxModelBuilder builder, string versionDirectory)
    {
        var path = ModelPath(versionDirectory);
        builder.Save(path);
        return path;
    }
}
