using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Usher.Cli.Tests.Admin;

/// <summary>
/// An in-process HTTP handler standing in for the server's admin API: records each request as sent
/// (method, URL, headers, body) and answers the status and JSON it was given, or refuses the connection.
/// </summary>
internal sealed class FakeAdminHandler : HttpMessageHandler
{
    private readonly List<RecordedRequest> _requests = [];

    /// <summary>The status the next requests answer.</summary>
    public HttpStatusCode Status { get; set; } = HttpStatusCode.OK;

    /// <summary>The body the next requests answer.</summary>
    public string Body { get; set; } = "{}";

    /// <summary>When true, every request fails as a refused TCP connection does.</summary>
    public bool RefuseConnections { get; set; }

    /// <summary>The requests received, in order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _requests;

    /// <summary>The one request received; fails the test when there were none or several.</summary>
    public RecordedRequest Single => Assert.Single(_requests);

    /// <summary>Answers <paramref name="status"/> with <paramref name="body"/>.</summary>
    public FakeAdminHandler Answer(HttpStatusCode status, string body)
    {
        Status = status;
        Body = body;
        return this;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        _requests.Add(new RecordedRequest(
            request.Method.Method,
            request.RequestUri!.AbsoluteUri,
            request.Headers.Authorization?.ToString(),
            request.Content?.Headers.ContentType?.MediaType,
            body));

        if (RefuseConnections)
        {
            // What SocketsHttpHandler throws when nothing listens on the port.
            throw new HttpRequestException(
                $"Connection refused ({request.RequestUri.Authority})",
                new SocketException((int)SocketError.ConnectionRefused));
        }

        return new HttpResponseMessage(Status) { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
    }
}
