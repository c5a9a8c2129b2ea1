using System.Buffers;
using System.Text.Json;
using Google.Protobuf;
using Usher.Core.Backends;
using Usher.Core.Repository;
using Usher.Core.Tensors;
using Usher.Server.Frontends.Http;
using Usher.Server.Protos;

namespace Usher.Server.Frontends;

/// <summary>
/// One version's warm-up request in each encoding a client sends (REST JSON, REST with binary
/// tensors, gRPC with raw contents), built from the version's first configured warm-up sample, or
/// zeros of batch 1, with the input names clients use. The server sends them to itself before it
/// reports ready (<c>Hosting.FrontendWarmupService</c>).
/// </summary>
internal sealed class WarmupRequests
{
    private WarmupRequests(string model, long version, byte[] json, byte[] binary, int binaryHeaderLength, ModelInferRequest grpc)
    {
        Model = model;
        Version = version;
        Json = json;
        Binary = binary;
        BinaryHeaderLength = binaryHeaderLength;
        Grpc = grpc;
    }

    /// <summary>The model's name.</summary>
    public string Model { get; }

    /// <summary>The version the requests pin (a pinned request bypasses routing: no rollout, experiment or shadow sees it).</summary>
    public long Version { get; }

    /// <summary>The REST JSON body.</summary>
    public byte[] Json { get; }

    /// <summary>The REST body with binary tensors: a JSON header (every output asked in binary too), then the tensors' bytes.</summary>
    public byte[] Binary { get; }

    /// <summary>The length of <see cref="Binary"/>'s JSON header (<c>Inference-Header-Content-Length</c>).</summary>
    public int BinaryHeaderLength { get; }

    /// <summary>The gRPC request.</summary>
    public ModelInferRequest Grpc { get; }

    /// <summary>The path of the REST requests: <c>/v2/models/{model}/versions/{version}/infer</c>.</summary>
    public string Path => $"/v2/models/{Uri.EscapeDataString(Model)}/versions/{Version}/infer";

    /// <summary>The requests for <paramref name="version"/>; null when its warm-up sample cannot be built (the loader skipped it too).</summary>
    public static WarmupRequests? For(ModelVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var sample = version.Config.Warmup.Count > 0 ? version.Config.Warmup[0] : ModelVersionLoader.DefaultSample;
        IReadOnlyList<Tensor> inputs;
        try
        {
            inputs = WarmupInputs.Build(sample, version.Signature);
        }
        catch (ModelLoadException)
        {
            return null;
        }

        var named = new Tensor[inputs.Count];
        for (var i = 0; i < named.Length; i++)
        {
            named[i] = inputs[i].WithName(version.Signature.Inputs[i].Name);
        }

        var json = Write(named, binary: false);
        var header = Write(named, binary: true);
        var body = new ArrayBufferWriter<byte>(header.Length + 256);
        body.Write(header);
        var grpc = new ModelInferRequest { ModelName = version.ModelName, ModelVersion = version.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), Id = "warmup" };
        foreach (var tensor in named)
        {
            var bytes = tensor.DataType == DataType.Bytes ? BytesElements.ToArray(tensor.Strings!) : tensor.Data.ToArray();
            body.Write(bytes);
            var input = new ModelInferRequest.Types.InferInputTensor { Name = tensor.Name, Datatype = tensor.DataType.ToProtocolName() };
            input.Shape.AddRange(tensor.Shape);
            grpc.Inputs.Add(input);
            grpc.RawInputContents.Add(UnsafeByteOperations.UnsafeWrap(bytes));
        }

        return new WarmupRequests(version.ModelName, version.Version, json, body.WrittenSpan.ToArray(), header.Length, grpc);
    }

    // {"id":"warmup","inputs":[{"name":..,"datatype":..,"shape":[..],"data":[..]}]}; with binary,
    // each input's "parameters":{"binary_data_size":N} instead of its data, and every output in binary.
    private static byte[] Write(IReadOnlyList<Tensor> inputs, bool binary)
    {
        var output = new ArrayBufferWriter<byte>(256);
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteString("id"u8, "warmup");
        if (binary)
        {
            writer.WriteStartObject("parameters"u8);
            writer.WriteBoolean("binary_data_output"u8, true);
            writer.WriteEndObject();
        }

        writer.WriteStartArray("inputs"u8);
        foreach (var tensor in inputs)
        {
            // An input is written as the server writes an output: one writer for both.
            JsonInferenceResponseWriter.WriteTensor(writer, output, tensor, binary);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }
}
