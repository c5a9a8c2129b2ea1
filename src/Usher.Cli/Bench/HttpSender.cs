using System.Globalization;
using System.Net.Http.Headers;

namespace Usher.Cli.Bench;

/// <summary>POSTs the same body (JSON, or a binary-extension body with its header length) through a shared client.</summary>
internal sealed class HttpSender : IRequestSender
{
    private readonly HttpClient _client;
    private readonly Uri _url;
    private readonly ByteArrayContent _content;
    private readonly string? _headerLength;
    private readonly byte[] _sink = new byte[64 * 1024];

    public HttpSender(HttpClient client, Uri url, byte[] body, int? headerLength)
    {
        _client = client;
        _url = url;

        // One content per sender, reused for every request it sends: the client does not dispose a
        // request's content, and a sender has one request in flight at a time.
        _content = new ByteArrayContent(body);
        _content.Headers.ContentType = new MediaTypeHeaderValue(headerLength is null ? "application/json" : "application/octet-stream");
        _headerLength = headerLength?.ToString(CultureInfo.InvariantCulture);
    }

    public async Task<(string? Failure, ServerSplit? Split)> SendAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Not disposed: disposing the request would dispose the shared content.
            var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = _content };
            if (_headerLength is not null)
            {
                request.Headers.TryAddWithoutValidation("Inference-Header-Content-Length", _headerLength);
            }

            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                while (await stream.ReadAsync(_sink, cancellationToken).ConfigureAwait(false) > 0)
                {
                }
            }

            return response.IsSuccessStatusCode
                ? (null, ServerTiming.Read(response.Headers))
                : (((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), null);
        }
        catch (HttpRequestException ex)
        {
            return (ex.HttpRequestError.ToString(), null);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ("timeout", null);
        }
    }
}
