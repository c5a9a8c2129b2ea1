using System.Runtime.InteropServices;
using System.Text;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Usher.Core.Inference;
using Usher.Server.Frontends.Grpc;
using Usher.Server.Frontends.Http;
using Usher.Server.Protos;

namespace Usher.Benchmarks.Frontends;

/// <summary>
/// Decoding one inference request from the bytes on the wire to an <see cref="InferenceRequest"/>:
/// REST JSON, REST binary (JSON header + blob) and gRPC (protobuf parse, typed and raw). Allocated
/// bytes per request are the figure that matters; a zero-copy decode allocates about one copy of
/// the payload (gRPC: the parser's ByteString) or none (REST binary: the tensor is a slice of the body).
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private byte[] _json = null!;
    private byte[] _binaryHeader = null!;
    private byte[] _binaryBlob = null!;
    private byte[] _grpcRaw = null!;
    private byte[] _grpcTyped = null!;

    /// <summary>FP32 elements in the one input: a fraud row (30) and a 1 MB tensor (262,144).</summary>
    [Params(30, 262_144)]
    public int Elements { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        var values = new float[Elements];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var shape = $"[1,{Elements}]";
        _json = Encoding.UTF8.GetBytes($"{{\"inputs\":[{{\"name\":\"x\",\"shape\":{shape},\"datatype\":\"FP32\",\"data\":[{string.Join(',', values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}]}}]}}");
        _binaryBlob = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        _binaryHeader = Encoding.UTF8.GetBytes($"{{\"inputs\":[{{\"name\":\"x\",\"shape\":{shape},\"datatype\":\"FP32\",\"parameters\":{{\"binary_data_size\":{_binaryBlob.Length}}}}}]}}");

        var raw = new ModelInferRequest { ModelName = "m" };
        raw.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Shape = { 1, Elements } });
        raw.RawInputContents.Add(ByteString.CopyFrom(_binaryBlob));
        _grpcRaw = raw.ToByteArray();

        var typed = new ModelInferRequest { ModelName = "m" };
        typed.Inputs.Add(new ModelInferRequest.Types.InferInputTensor
        {
            Name = "x",
            Datatype = "FP32",
            Shape = { 1, Elements },
            Contents = new InferTensorContents { Fp32Contents = { values } },
        });
        _grpcTyped = typed.ToByteArray();
    }

    [Benchmark(Baseline = true)]
    public object RestJson() => Check(JsonInferenceRequestReader.Read(_json, "m", null));

    [Benchmark]
    public object RestBinary() => Check(JsonInferenceRequestReader.Read(_binaryHeader, BinarySection.Of(_binaryBlob), "m", null));

    [Benchmark]
    public object GrpcTyped() => Check(GrpcRequestReader.Read(ModelInferRequest.Parser.ParseFrom(_grpcTyped)));

    [Benchmark]
    public object GrpcRaw() => Check(GrpcRequestReader.Read(ModelInferRequest.Parser.ParseFrom(_grpcRaw)));

    private static InferenceRequest Check(InferenceResult<InferenceRequest> result)
        => result.IsSuccess ? result.Value : throw new InvalidOperationException(result.Error.Message);
}
