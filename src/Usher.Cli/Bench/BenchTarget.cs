using System.Net;
using Grpc.Net.Client;
using Usher.Server.Protos;

namespace Usher.Cli.Bench;

/// <summary>
/// The clients of one <c>usher bench</c> run and the request they send, encoded once for the
/// protocol: one pooled <see cref="HttpClient"/> (HTTP/1.1 keep-alive, a connection per request in
/// flight) or one gRPC channel (HTTP/2, more connections when the streams of one are used up).
/// </summary>
internal sealed class BenchTarget : IDisposable
{
    private readonly HttpClient _http;
    private readonly GrpcChannel? _channel;
    private readonly Func<IRequestSender> _createSender;

    public BenchTarget(BenchProtocol protocol, Uri server, Uri grpcServer, string model, byte[] jsonBody)
    {
        _http = CreateHttpClient();
        var infer = new Uri(server, $"v2/models/{Uri.EscapeDataString(model)}/infer");
        switch (protocol)
        {
            case BenchProtocol.RestBinary:
                var (body, headerLength) = RequestEncoder.ToBinary(jsonBody);
                Url = infer.ToString();
                RequestBytes = body.Length;
                _createSender = () => new HttpSender(_http, infer, body, headerLength);
                break;
            case BenchProtocol.Grpc:
                _channel = GrpcChannel.ForAddress(grpcServer, new GrpcChannelOptions
                {
                    HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, UseProxy = false },
                    MaxReceiveMessageSize = null,
                    MaxSendMessageSize = null,
                });
                var client = new GRPCInferenceService.GRPCInferenceServiceClient(_channel);
                var request = RequestEncoder.ToGrpcRaw(jsonBody, model);
                Url = grpcServer.ToString();
                RequestBytes = request.CalculateSize();
                _createSender = () => new GrpcSender(client, request);
                break;
            default:
                Url = infer.ToString();
                RequestBytes = jsonBody.Length;
                _createSender = () => new HttpSender(_http, infer, jsonBody, null);
                break;
        }
    }

    /// <summary>Where requests go.</summary>
    public string Url { get; }

    /// <summary>One request's size as sent.</summary>
    public long RequestBytes { get; }

    /// <summary>A sender for one worker (or one open-loop request slot).</summary>
    public IRequestSender CreateSender() => _createSender();

    /// <summary>No proxy, no cookies, no decompression, connections kept for the whole run.</summary>
    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = int.MaxValue,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestVersion = HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    public void Dispose()
    {
        _http.Dispose();
        _channel?.Dispose();
    }
}
