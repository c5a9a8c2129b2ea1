using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Usher.Core.Inference;
using Usher.Core.Routing;
using Usher.Core.Tensors;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// <c>POST /v2/models/{m}[/versions/{v}]/infer</c>: a JSON body, or a JSON header followed by binary
/// tensor data (protocol §5) when <c>Inference-Header-Content-Length</c> is present; the body may be
/// gzip or deflate coded.
/// </summary>
internal static class InferenceEndpoint
{
    /// <summary>The header that gives the length of the JSON part of a body with binary tensors.</summary>
    public const string HeaderLengthHeader = "Inference-Header-Content-Length";

    // An answer of at most this many numbers is written whole before it is sent (WriteJson); its text
    // fits the buffer a thread keeps for it.
    private const int SmallAnswerElements = 256;
    private const int SmallAnswerBytes = 8 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_answer;

    /// <param name="context">The request.</param>
    /// <param name="services">The application's singletons the handler uses, resolved once.</param>
    public static async Task InferAsync(HttpContext context, InferenceServices services)
    {
        // Under inline scheduling, whether this is the only inference in flight (LoneRequestHandOff).
        var handOff = services.HandOff;
        var lone = handOff.Enter();
        try
        {
            // The request's one measurement starts here, on the router's clock: the version ends it, and
            // Server-Timing's total, /metrics and the rollout analysis all read that figure.
            var clock = services.Router.Clock;
            var started = clock.GetTimestamp();
            var options = services.Options;
            long bodyRead = 0, decoded = 0;
            var name = RouteValues.Model(context);
            var version = RouteValues.Version(context);
            if (!version.IsSuccess)
            {
                await HttpErrors.WriteAsync(context, version.Error).ConfigureAwait(false);
                return;
            }

            var headerLength = HeaderLength(context.Request);
            if (!headerLength.IsSuccess)
            {
                await HttpErrors.WriteAsync(context, headerLength.Error).ConfigureAwait(false);
                return;
            }

            var source = ContentCoding.Decode(context.Request);
            if (!source.IsSuccess)
            {
                await HttpErrors.WriteAsync(context, source.Error).ConfigureAwait(false);
                return;
            }

            // Binary inputs are slices of the body, so a binary body is read into an array of its own
            // rather than a pooled one that goes back to the pool while a tensor may still point into it.
            // What reading and decoding take is reserved against the server's memory bound first, and
            // given back once the request is decoded: from then on the schedulers account for it.
            var binary = headerLength.Value is not null;
            var coded = !ReferenceEquals(source.Value, context.Request.Body);
            RequestBody? body = null;
            InferenceResult<InferenceRequest> request;
            using (var memory = new RequestMemory(services.Budget, options.MaxTensorBytes, services.MemoryReturn))
            {
                InferenceResult<RequestBody> read;
                try
                {
                    read = await RequestBody.ReadAsync(source.Value, coded ? null : context.Request.ContentLength, options.MaxRequestBodyBytes, poolable: !binary, memory, context.RequestAborted).ConfigureAwait(false);
                }
                catch (InvalidDataException exception)
                {
                    await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, $"the body is not valid {context.Request.Headers.ContentEncoding}: {exception.Message}").ConfigureAwait(false);
                    return;
                }
                finally
                {
                    if (coded)
                    {
                        await source.Value.DisposeAsync().ConfigureAwait(false);
                    }
                }

                if (!read.IsSuccess)
                {
                    await HttpErrors.WriteAsync(context, read.Error).ConfigureAwait(false);
                    return;
                }

                body = read.Value;
                if (options.TimingStages)
                {
                    bodyRead = clock.GetTimestamp();
                }

                request = Decode(body, headerLength.Value, name, version.Value, memory);
                if (!binary || !request.IsSuccess)
                {
                    // Every tensor of a JSON body is a copy; nothing points into the body any more.
                    body.Dispose();
                    body = null;
                }

                if (options.TimingStages)
                {
                    decoded = clock.GetTimestamp();
                }
            }

            using (body)
            {
                if (!request.IsSuccess)
                {
                    await HttpErrors.WriteAsync(context, request.Error).ConfigureAwait(false);
                    return;
                }

                var outputs = BinaryOutputs.From(request.Value);
                if (!outputs.IsSuccess)
                {
                    await HttpErrors.WriteAsync(context, outputs.Error).ConfigureAwait(false);
                    return;
                }

                if (lone)
                {
                    // Inline scheduling and no other request in flight: a pool worker answers it sooner
                    // than the socket engine's thread (LoneRequestHandOff).
                    await Task.Yield();
                }

                var routed = await services.Router.InferAsync(request.Value, Hints(context.Request), started, context.RequestAborted).ConfigureAwait(false);
                if (routed.Variant is not null)
                {
                    context.Response.Headers[RouteHints.VariantHeader] = routed.Variant;
                }

                if (!routed.Result.IsSuccess)
                {
                    await HttpErrors.WriteAsync(context, routed.Result.Error).ConfigureAwait(false);
                    return;
                }

                var response = routed.Result.Value;
                context.Response.Headers["Server-Timing"] = options.TimingStages
                    ? ServerTiming.Format(response.Timings, new TimingStages(clock.GetElapsedTime(started, bodyRead), clock.GetElapsedTime(bodyRead, decoded)))
                    : ServerTiming.Format(response.Timings);
                context.Response.StatusCode = StatusCodes.Status200OK;
                if (outputs.Value.Any)
                {
                    WriteFramed(context.Response, response, outputs.Value);
                }
                else
                {
                    context.Response.ContentType = "application/json";
                    WriteJson(context.Response, response);
                }

                await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            }
        }
        finally
        {
            handOff.Exit();
        }
    }

    /// <summary>The JSON header's length from <c>Inference-Header-Content-Length</c>, null when absent.</summary>
    private static InferenceResult<int?> HeaderLength(HttpRequest request)
    {
        var values = request.Headers[HeaderLengthHeader];
        if (values.Count == 0)
        {
            return InferenceResult<int?>.Success(null);
        }

        if (values.Count > 1 || !int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            return InferenceError.Invalid($"{HeaderLengthHeader} must be one non-negative integer (the length of the JSON header in bytes), got '{values}'");
        }

        if (length == 0)
        {
            return InferenceError.Invalid(
                $"{HeaderLengthHeader}: 0 (a body that is one input's raw bytes, without a JSON header) is not supported; send a JSON header naming the input, with parameters.binary_data_size");
        }

        return InferenceResult<int?>.Success(length);
    }

    private static InferenceResult<InferenceRequest> Decode(RequestBody body, int? headerLength, string name, long? version, RequestMemory memory)
    {
        if (headerLength is not int length)
        {
            return JsonInferenceRequestReader.Read(body.Memory, name, version, memory);
        }

        if (length > body.Length)
        {
            return InferenceError.Invalid($"{HeaderLengthHeader} is {length}, but the body has only {body.Length} bytes; it must be the length of the JSON header alone");
        }

        var bytes = body.Memory;
        return JsonInferenceRequestReader.Read(bytes[..length], BinarySection.Of(bytes[length..]), name, version, memory);
    }

    /// <summary>
    /// The JSON answer. A small one is written whole first and sent with its <c>Content-Length</c>: one
    /// flush per answer, where a chunked answer takes the handler's flush and another for its last
    /// chunk. A large one streams into the response, chunked, rather than being held twice.
    /// </summary>
    private static void WriteJson(HttpResponse http, InferenceResponse response)
    {
        if (!IsSmall(response))
        {
            JsonInferenceResponseWriter.Write(http.BodyWriter, response);
            return;
        }

        var buffer = t_answer ??= new ArrayBufferWriter<byte>(SmallAnswerBytes);
        buffer.ResetWrittenCount();
        JsonInferenceResponseWriter.Write(buffer, response);
        http.ContentLength = buffer.WrittenCount;
        http.BodyWriter.Write(buffer.WrittenSpan);
        if (buffer.Capacity > 4 * SmallAnswerBytes)
        {
            // Output names or strings made it grow: a thread keeps no more than it usually needs.
            t_answer = null;
        }
    }

    /// <summary>Whether an answer's outputs are few numbers (at most <see cref="SmallAnswerElements"/>, strings never).</summary>
    private static bool IsSmall(InferenceResponse response)
    {
        long elements = 0;
        foreach (var output in response.Outputs)
        {
            if (output.DataType == DataType.Bytes)
            {
                return false;
            }

            elements += output.ElementCount;
        }

        return elements <= SmallAnswerElements;
    }

    /// <summary>A JSON header, then the binary outputs' bytes, with the header's length in a response header.</summary>
    private static void WriteFramed(HttpResponse response, InferenceResponse inference, BinaryOutputs outputs)
    {
        var header = new ArrayBufferWriter<byte>(1024);
        JsonInferenceResponseWriter.Write(header, inference, outputs);
        response.ContentType = "application/octet-stream";
        response.Headers[HeaderLengthHeader] = header.WrittenCount.ToString(CultureInfo.InvariantCulture);
        response.BodyWriter.Write(header.WrittenSpan);
        JsonInferenceResponseWriter.WriteBinary(response.BodyWriter, inference, outputs);
    }

    private static RouteHints Hints(HttpRequest request)
    {
        var key = request.Headers[RouteHints.RoutingKeyHeader];
        var pin = request.Headers[RouteHints.VariantHeader];
        return new RouteHints(key.Count > 0 ? key[0] : null, pin.Count > 0 ? pin[0] : null);
    }
}
