using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Usher.Core.Inference;
using Usher.Core.Routing;

namespace Usher.Streaming.Pipeline;

/// <summary>
/// <c>usher stream --server URL</c>: each request goes to a running server's
/// <c>POST /v2/models/{endpoint}/infer</c> with the routing key in <c>x-usher-routing-key</c>, so
/// that server's router and rollouts decide; statuses become the same error kinds.
/// </summary>
internal sealed class RemoteScorer(HttpClient http) : IStreamScorer
{
    public async ValueTask<StreamScore> ScoreAsync(string endpoint, ReadOnlyMemory<byte> request, string? routingKey, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, $"v2/models/{Uri.EscapeDataString(endpoint)}/infer")
        {
            Content = new ReadOnlyMemoryContent(request),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (routingKey is not null)
        {
            message.Headers.TryAddWithoutValidation(RouteHints.RoutingKeyHeader, routingKey);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            return StreamScore.Failed(InferenceError.Unavailable($"{http.BaseAddress}: {exception.Message}"));
        }

        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return new StreamScore(body, Version(body), null);
            }

            var text = ErrorText(body) ?? response.ReasonPhrase ?? "error";
            return StreamScore.Failed(response.StatusCode switch
            {
                HttpStatusCode.BadRequest => InferenceError.Invalid(text),
                HttpStatusCode.NotFound => InferenceError.NotFound(text),
                HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests => InferenceError.Unavailable(text),
                HttpStatusCode.GatewayTimeout => new InferenceError(InferenceErrorKind.Timeout, text),
                _ => InferenceError.Internal($"{(int)response.StatusCode}: {text}"),
            });
        }
    }

    /// <summary>Opens the connection with a readiness probe (<c>GET /v2/health/ready</c>), which the server does not count as inference.</summary>
    public async ValueTask WarmUpAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync("v2/health/ready", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException)
        {
            // Not there yet, or stopping: the messages' own calls retry and report it.
        }
    }

    /// <summary>Each request is a call of its own to the server, whose batcher combines what it combines.</summary>
    public IDisposable? OpenBatch(CancellationToken cancellationToken) => null;

    private static long Version(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("model_version", out var version) && long.TryParse(version.ToString(), out var v) ? v : 0;
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    private static string? ErrorText(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("error", out var error) ? error.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
