using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Usher.Server.Protos;

namespace Usher.Cli.Bench;

/// <summary>
/// Turns one JSON inference request (the body file) into the other encodings of the same tensors, so
/// that every protocol sends identical values: a binary-extension body, or a gRPC request with raw
/// contents. The datatypes <see cref="InputGenerator.Datatypes"/> lists.
/// </summary>
internal static class RequestEncoder
{
    /// <summary>The JSON header (inputs with <c>binary_data_size</c>, every output binary) followed by the tensors.</summary>
    public static (byte[] Body, int HeaderLength) ToBinary(byte[] json)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        var blobs = new List<byte[]>();
        foreach (var input in root["inputs"]!.AsArray())
        {
            var blob = Encode(input!);
            blobs.Add(blob);
            input!.AsObject().Remove("data");
            input["parameters"] = new JsonObject { ["binary_data_size"] = blob.Length };
        }

        root["parameters"] = new JsonObject { ["binary_data_output"] = true };
        var header = JsonSerializer.SerializeToUtf8Bytes(root);
        return ([.. header, .. blobs.SelectMany(b => b)], header.Length);
    }

    /// <summary>The same request as a gRPC <c>ModelInferRequest</c> with raw input contents.</summary>
    public static ModelInferRequest ToGrpcRaw(byte[] json, string model)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        var request = new ModelInferRequest { ModelName = model };
        foreach (var input in root["inputs"]!.AsArray())
        {
            var tensor = new ModelInferRequest.Types.InferInputTensor
            {
                Name = (string)input!["name"]!,
                Datatype = (string)input["datatype"]!,
            };
            tensor.Shape.AddRange(input["shape"]!.AsArray().Select(d => (long)d!));
            request.Inputs.Add(tensor);
            request.RawInputContents.Add(UnsafeByteOperations.UnsafeWrap(Encode(input)));
        }

        return request;
    }

    private static byte[] Encode(JsonNode input)
    {
        var datatype = (string)input["datatype"]!;
        var values = Flatten(input["data"]!).ToArray();
        return datatype switch
        {
            "FP32" => MemoryMarshal.AsBytes(values.Select(v => (float)v).ToArray().AsSpan()).ToArray(),
            "FP64" => MemoryMarshal.AsBytes(values.AsSpan()).ToArray(),
            "INT8" => MemoryMarshal.AsBytes(values.Select(v => (sbyte)v).ToArray().AsSpan()).ToArray(),
            "INT16" => MemoryMarshal.AsBytes(values.Select(v => (short)v).ToArray().AsSpan()).ToArray(),
            "INT32" => MemoryMarshal.AsBytes(values.Select(v => (int)v).ToArray().AsSpan()).ToArray(),
            "INT64" => MemoryMarshal.AsBytes(values.Select(v => (long)v).ToArray().AsSpan()).ToArray(),
            "UINT8" or "BOOL" => values.Select(v => (byte)v).ToArray(),
            _ => throw new NotSupportedException($"input '{input["name"]}': datatype {datatype} cannot be sent over rest-binary or grpc by usher bench; use {string.Join(", ", InputGenerator.Datatypes)}, or --protocol rest"),
        };
    }

    private static IEnumerable<double> Flatten(JsonNode node)
        => node switch
        {
            JsonArray array => array.SelectMany(n => Flatten(n!)),
            JsonValue value when value.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => [(bool)value ? 1 : 0],
            _ => [(double)node],
        };
}
