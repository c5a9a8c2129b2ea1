using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Usher.Core.RequestLogging;
using Usher.Core.Tensors;

namespace Usher.Server.RequestLogging;

/// <summary>
/// One line of a JSONL request log: the request's facts and its inputs and outputs as Open Inference
/// Protocol tensors (<c>name</c>, <c>datatype</c>, <c>shape</c>, flat <c>data</c>), so that a line's
/// <c>inputs</c> is also a request body. Floats are written in their shortest round-trip form
/// (non-finite ones as the strings <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>), FP16 and BF16 as
/// the floats they are, BYTES as UTF-8 text: every type but non-text BYTES reads back bit for bit.
/// </summary>
internal static class RequestLogJson
{
    /// <summary>Writes <paramref name="record"/> as one JSON object (no line break).</summary>
    public static void Write(Utf8JsonWriter json, RequestLogRecord record)
    {
        json.WriteStartObject();
        json.WriteString("timestamp", record.Timestamp.ToString("O", CultureInfo.InvariantCulture));
        json.WriteString("model", record.Model);
        json.WriteNumber("version", record.Version);
        json.WriteString("endpoint", record.Endpoint);
        json.WriteString("variant", record.Variant);
        WriteOptional(json, "routing_key", record.RoutingKey);
        WriteOptional(json, "request_id", record.RequestId);
        json.WriteNumber("latency_ms", record.LatencyMs);
        WriteTensors(json, "inputs", record.Inputs);
        WriteTensors(json, "outputs", record.Outputs);
        json.WriteEndObject();
    }

    /// <summary>Reads one line written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">The line is not a request log record; the message says what is wrong.</exception>
    public static RequestLogEntry Read(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            return new RequestLogEntry(
                DateTimeOffset.Parse(Required(root, "timestamp").GetString()!, CultureInfo.InvariantCulture),
                Required(root, "model").GetString()!,
                Required(root, "version").GetInt64(),
                Required(root, "endpoint").GetString()!,
                Required(root, "variant").GetString()!,
                Optional(root, "routing_key"),
                Optional(root, "request_id"),
                Required(root, "latency_ms").GetDouble(),
                ReadTensors(Required(root, "inputs")),
                ReadTensors(Required(root, "outputs")));
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            throw new InvalidDataException($"not a request log record: {ex.Message}", ex);
        }
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteTensors(Utf8JsonWriter json, string name, IReadOnlyList<Tensor> tensors)
    {
        json.WriteStartArray(name);
        foreach (var tensor in tensors)
        {
            json.WriteStartObject();
            json.WriteString("name", tensor.Name);
            json.WriteString("datatype", tensor.DataType.ToProtocolName());
            json.WriteStartArray("shape");
            foreach (var dim in tensor.Shape)
            {
                json.WriteNumberValue(dim);
            }

            json.WriteEndArray();
            json.WriteStartArray("data");
            WriteData(json, tensor);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteData(Utf8JsonWriter json, Tensor tensor)
    {
        var bytes = tensor.Data.Span;
        switch (tensor.DataType)
        {
            case DataType.Bool:
                foreach (var b in bytes)
                {
                    json.WriteBooleanValue(b != 0);
                }

                break;
            case DataType.UInt8:
                foreach (var b in bytes)
                {
                    json.WriteNumberValue(b);
                }

                break;
            case DataType.Int8:
                foreach (var b in MemoryMarshal.Cast<byte, sbyte>(bytes))
                {
                    json.WriteNumberValue(b);
                }

                break;
            case DataType.UInt16:
                foreach (var v in tensor.AsSpan<ushort>())
                {
                    json.WriteNumberValue(v);
                }

                break;
            case DataType.Int16:
                foreach (var v in tensor.AsSpan<short>())
                {
                    json.WriteNumberValue(v);
                }

                break;
            case DataType.UInt32:
                foreach (var v in tensor.AsSpan<uint>())
                {
                    json.WriteNumberValue(v);
                }

                break;
            case DataType.Int32:
                foreach (var v in tensor.AsSpan<int>())
                {
                    json.WriteNumberValue(v);
                }

                break;
            case DataType.UInt64:
                foreach (var v in tensor.AsSpan<ulong>())
                {
                    json.WriteNumberValue(v);
                }

                break;
            case DataType.Int64:
                foreach (var v in tensor.AsSpan<long>())
                {
                    json.WriteNumberValue(v);
                }

                break;
            case DataType.Fp16:
                foreach (var v in tensor.AsSpan<Half>())
                {
                    WriteFloat(json, (float)v);
                }

                break;
            case DataType.Bf16:
                foreach (var v in tensor.AsSpan<ushort>())
                {
                    WriteFloat(json, BitConverter.UInt32BitsToSingle((uint)v << 16));
                }

                break;
            case DataType.Fp32:
                foreach (var v in tensor.AsSpan<float>())
                {
                    WriteFloat(json, v);
                }

                break;
            case DataType.Fp64:
                foreach (var v in tensor.AsSpan<double>())
                {
                    if (double.IsFinite(v))
                    {
                        json.WriteNumberValue(v);
                    }
                    else
                    {
                        json.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
                    }
                }

                break;
            default:
                foreach (var s in tensor.Strings ?? [])
                {
                    json.WriteStringValue(Encoding.UTF8.GetString(s));
                }

                break;
        }
    }

    private static void WriteFloat(Utf8JsonWriter json, float value)
    {
        if (float.IsFinite(value))
        {
            json.WriteNumberValue(value);
        }
        else
        {
            json.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static JsonElement Required(JsonElement root, string name)
        => root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : throw new KeyNotFoundException($"'{name}' is missing");

    private static string? Optional(JsonElement root, string name)
        => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static Tensor[] ReadTensors(JsonElement array)
    {
        var tensors = new List<Tensor>();
        foreach (var item in array.EnumerateArray())
        {
            var name = Required(item, "name").GetString()!;
            if (!DataTypes.TryParse(Required(item, "datatype").GetString(), out var type))
            {
                throw new FormatException($"tensor '{name}': unknown datatype");
            }

            var shape = Required(item, "shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var data = Required(item, "data").EnumerateArray().ToList();
            tensors.Add(type == DataType.Bytes
                ? Tensor.FromStrings(name, shape, [.. data.Select(d => Encoding.UTF8.GetBytes(d.GetString()!))])
                : Tensor.FromBytes(name, type, shape, ReadData(type, data)));
        }

        return [.. tensors];
    }

    private static byte[] ReadData(DataType type, List<JsonElement> data)
    {
        var bytes = new byte[data.Count * type.ElementSize()];
        var span = bytes.AsSpan();
        for (var i = 0; i < data.Count; i++)
        {
            var d = data[i];
            switch (type)
            {
                case DataType.Bool: span[i] = d.GetBoolean() ? (byte)1 : (byte)0; break;
                case DataType.UInt8: span[i] = d.GetByte(); break;
                case DataType.Int8: span[i] = (byte)d.GetSByte(); break;
                case DataType.UInt16: MemoryMarshal.Cast<byte, ushort>(span)[i] = d.GetUInt16(); break;
                case DataType.Int16: MemoryMarshal.Cast<byte, short>(span)[i] = d.GetInt16(); break;
                case DataType.UInt32: MemoryMarshal.Cast<byte, uint>(span)[i] = d.GetUInt32(); break;
                case DataType.Int32: MemoryMarshal.Cast<byte, int>(span)[i] = d.GetInt32(); break;
                case DataType.UInt64: MemoryMarshal.Cast<byte, ulong>(span)[i] = d.GetUInt64(); break;
                case DataType.Int64: MemoryMarshal.Cast<byte, long>(span)[i] = d.GetInt64(); break;
                case DataType.Fp16: MemoryMarshal.Cast<byte, Half>(span)[i] = (Half)Single(d); break;
                case DataType.Bf16: MemoryMarshal.Cast<byte, ushort>(span)[i] = (ushort)(BitConverter.SingleToUInt32Bits(Single(d)) >> 16); break;
                case DataType.Fp32: MemoryMarshal.Cast<byte, float>(span)[i] = Single(d); break;
                default: MemoryMarshal.Cast<byte, double>(span)[i] = d.ValueKind == JsonValueKind.String ? double.Parse(d.GetString()!, CultureInfo.InvariantCulture) : d.GetDouble(); break;
            }
        }

        return bytes;
    }

    private static float Single(JsonElement d)
        => d.ValueKind == JsonValueKind.String ? float.Parse(d.GetString()!, CultureInfo.InvariantCulture) : d.GetSingle();
}
