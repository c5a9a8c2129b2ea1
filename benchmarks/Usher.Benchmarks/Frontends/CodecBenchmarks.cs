using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Usher.Core.Inference;
using Usher.Core.Tensors;
using Usher.Server.Frontends.Http;

namespace Usher.Benchmarks.Frontends;

/// <summary>
/// The REST JSON tensor codec against System.Text.Json's <see cref="Utf8JsonReader"/> and
/// <see cref="Utf8JsonWriter"/> used directly (the least a JSON-based server must do): decoding a
/// request of one FP32 input into its tensor, and encoding a response of one FP32 output, for one row
/// of 1,024 floats and a 64x1,024 batch. The baselines do only the tensor's work (no names, no
/// checks of the shape or of each element's range), so the codec's figure includes its checks.
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private byte[] _request = null!;
    private float[] _values = null!;
    private InferenceResponse _response = null!;
    private ArrayBufferWriter<byte> _output = null!;

    /// <summary>Rows of 1,024 FP32 values.</summary>
    [Params(1, 64)]
    public int Rows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(11);
        _values = new float[Rows * 1024];
        for (var i = 0; i < _values.Length; i++)
        {
            _values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var data = string.Join(',', _values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        _request = Encoding.UTF8.GetBytes($"{{\"inputs\":[{{\"name\":\"X\",\"shape\":[{Rows},1024],\"datatype\":\"FP32\",\"data\":[{data}]}}]}}");
        _response = new InferenceResponse
        {
            ModelName = "mlp",
            ModelVersion = 1,
            Outputs = [Tensor.FromSpan<float>("Y", DataType.Fp32, [Rows, 1024], _values)],
        };
        _output = new ArrayBufferWriter<byte>(_request.Length * 2);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("decode")]
    public float[] DecodeUtf8JsonReader()
    {
        var values = new float[Rows * 1024];
        var reader = new Utf8JsonReader(_request);
        var count = 0;
        var inData = false;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("data"u8))
            {
                inData = true;
            }
            else if (inData && reader.TokenType == JsonTokenType.Number)
            {
                values[count++] = reader.GetSingle();
            }
            else if (inData && reader.TokenType == JsonTokenType.EndArray)
            {
                inData = false;
            }
        }

        return values;
    }

    [Benchmark]
    [BenchmarkCategory("decode")]
    public object DecodeCodec()
    {
        var read = JsonInferenceRequestReader.Read(_request, "mlp", null);
        return read.IsSuccess ? read.Value : throw new InvalidOperationException(read.Error.Message);
    }

    [Benchmark]
    [BenchmarkCategory("encode")]
    public int EncodeUtf8JsonWriter()
    {
        _output.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_output);
        writer.WriteStartObject();
        writer.WriteString("model_name"u8, "mlp");
        writer.WriteString("model_version"u8, "1");
        writer.WriteStartArray("outputs"u8);
        writer.WriteStartObject();
        writer.WriteString("name"u8, "Y");
        writer.WriteString("datatype"u8, "FP32");
        writer.WriteStartArray("shape"u8);
        writer.WriteNumberValue(Rows);
        writer.WriteNumberValue(1024);
        writer.WriteEndArray();
        writer.WriteStartArray("data"u8);
        foreach (var value in _values)
        {
            writer.WriteNumberValue(value);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        return _output.WrittenCount;
    }

    [Benchmark]
    [BenchmarkCategory("encode")]
    public int EncodeCodec()
    {
        _output.ResetWrittenCount();
        JsonInferenceResponseWriter.Write(_output, _response);
        return _output.WrittenCount;
    }
}
