using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Usher.Streaming.Pipeline;

/// <summary>
/// An answer as one JSON object (MQTT, Kafka and JSONL payloads): <c>source_id</c>, <c>endpoint</c>,
/// <c>model_version</c> and <c>response</c> (the OIP response, embedded as JSON), or <c>error</c>,
/// <c>reason</c>, <c>attempts</c> and <c>request</c> (as text, since it may not be JSON).
/// </summary>
internal static class AnswerJson
{
    // Error messages quote names ('input x'): keep them readable; the output is JSON, never HTML.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Kept per thread and reset for each answer (a writer and its buffer per answer were two of the
    // per-message allocations on the MQTT and Kafka paths); dropped after an unusually big answer.
    private const int MaxKeptBuffer = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_json;

    public static byte[] Write(StreamAnswer answer)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        var json = t_json ??= new Utf8JsonWriter(buffer, Options);
        buffer.ResetWrittenCount();
        json.Reset(buffer);
        json.WriteStartObject();
        json.WriteString("source_id", answer.SourceId);
        json.WriteString("endpoint", answer.Endpoint);
        if (answer.ModelVersion is long version)
        {
            json.WriteNumber("model_version", version);
        }

        if (answer.Response is { } response)
        {
            json.WritePropertyName("response");
            json.WriteRawValue(response.Span, skipInputValidation: true);
        }
        else
        {
            json.WriteString("error", answer.Error);
            json.WriteString("reason", answer.Reason);
            json.WriteNumber("attempts", answer.Attempts);
            if (answer.Request is { } request)
            {
                json.WriteString("request", RequestText(request));
            }
        }

        json.WriteEndObject();
        json.Flush();

        var bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > MaxKeptBuffer)
        {
            t_buffer = null;
            t_json = null;
        }

        return bytes;
    }

    /// <summary>The request as text; bytes that are not UTF-8 become U+FFFD.</summary>
    public static string RequestText(ReadOnlyMemory<byte> request) => Encoding.UTF8.GetString(request.Span);
}
