using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Encodes an <see cref="InferenceResponse"/> as the protocol's JSON (§2.6), and errors as
/// <c>{"error": "..."}</c> (§2.8). Output data is written flat, in row-major order.
/// </summary>
/// <remarks>
/// FP16 and BF16 elements are written as the float of the same value, which reads back exactly.
/// NaN and infinities are written as the strings "NaN", "Infinity" and "-Infinity". BYTES elements are
/// written as strings; bytes that are not valid UTF-8 come out as U+FFFD replacement characters, so
/// such a tensor does not survive JSON unchanged (the binary extension carries it exactly).
/// </remarks>
internal static class JsonInferenceResponseWriter
{
    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        // A JSON API body, never embedded in HTML: escape only what JSON requires, so text in other
        // scripts stays readable and short.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes the response body to <paramref name="output"/> (e.g. an HTTP response's BodyWriter).</summary>
    public static void Write(IBufferWriter<byte> output, InferenceResponse response)
        => Write(output, response, BinaryOutputs.None);

    /// <summary>
    /// Writes the JSON part of a response; outputs that <paramref name="binary"/> picks get
    /// <c>parameters.binary_data_size</c> instead of <c>data</c>, and their bytes are for
    /// <see cref="WriteBinary"/> to append after it (protocol §5).
    /// </summary>
    public static void Write(IBufferWriter<byte> output, InferenceResponse response, BinaryOutputs binary)
    {
        ArgumentNullException.ThrowIfNull(response);
        var writer = Writer(output);
        try
        {
            WriteResponse(writer, output, response, binary);
        }
        finally
        {
            // Lets go of the output; the writer stays with the thread for its next response.
            writer.Reset(Stream.Null);
        }
    }

    /// <summary>
    /// The thread's JSON writer, pointed at <paramref name="output"/>. Writing a response never awaits,
    /// so one writer per thread serves every response written on it, without a new writer per answer.
    /// </summary>
    private static Utf8JsonWriter Writer(IBufferWriter<byte> output)
    {
        var writer = t_writer ??= new Utf8JsonWriter(Stream.Null, WriterOptions);
        writer.Reset(output);
        return writer;
    }

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private static void WriteResponse(Utf8JsonWriter writer, IBufferWriter<byte> output, InferenceResponse response, BinaryOutputs binary)
    {
        writer.WriteStartObject();
        writer.WriteString("model_name"u8, response.ModelName);

        // A decimal string, as Triton writes it.
        Span<byte> version = stackalloc byte[20];
        response.ModelVersion.TryFormat(version, out var written, default, CultureInfo.InvariantCulture);
        writer.WriteString("model_version"u8, version[..written]);

        if (response.Id is not null)
        {
            writer.WriteString("id"u8, response.Id);
        }

        JsonParameters.WriteProperty(writer, response.Parameters);
        writer.WriteStartArray("outputs"u8);
        foreach (var tensor in response.Outputs)
        {
            WriteTensor(writer, output, tensor, binary.IsBinary(tensor.Name));
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>Writes the error object <c>{"error": message}</c>.</summary>
    public static void WriteError(IBufferWriter<byte> output, string message)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("error"u8, message);
        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>Appends the bytes of the binary outputs, in output order, after the JSON part.</summary>
    public static void WriteBinary(IBufferWriter<byte> output, InferenceResponse response, BinaryOutputs binary)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(response);
        foreach (var tensor in response.Outputs)
        {
            if (!binary.IsBinary(tensor.Name))
            {
                continue;
            }

            if (tensor.DataType == DataType.Bytes)
            {
                Frontends.BytesElements.Write(output, tensor.Strings!);
            }
            else
            {
                output.Write(tensor.Data.Span);
            }
        }
    }

    /// <summary>One tensor object (name, datatype, shape, then its data or, when binary, its binary_data_size).</summary>
    internal static void WriteTensor(Utf8JsonWriter writer, IBufferWriter<byte> output, Tensor tensor, bool binary)
    {
        writer.WriteStartObject();
        writer.WriteString("name"u8, tensor.Name);
        writer.WriteString("datatype"u8, tensor.DataType.ToProtocolName());
        writer.WriteStartArray("shape"u8);
        foreach (var dim in tensor.Shape)
        {
            writer.WriteNumberValue(dim);
        }

        writer.WriteEndArray();
        if (binary)
        {
            writer.WriteStartObject("parameters"u8);
            writer.WriteNumber("binary_data_size"u8, tensor.DataType == DataType.Bytes ? Frontends.BytesElements.Size(tensor.Strings!) : tensor.Data.Length);
            writer.WriteEndObject();
        }
        else if (JsonTensorDataWriter.Handles(tensor.DataType))
        {
            // The numbers go straight into the output, past the JSON writer: everything it wrote is
            // committed first, and since "data" is the object's last member, its next token is the
            // object's end, which needs no separator it could get wrong.
            writer.Flush();
            output.Write(",\"data\":"u8);
            JsonTensorDataWriter.Write(output, tensor);
        }
        else
        {
            writer.WriteStartArray("data"u8);
            foreach (var value in tensor.Strings!)
            {
                // The writer's encoder replaces invalid UTF-8 with U+FFFD (see the remarks above).
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }
}
