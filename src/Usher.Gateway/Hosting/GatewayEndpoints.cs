using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Usher.Gateway.Hosting;

/// <summary>The gateway's listeners, so that the ports bound for 0 can be read once it has started.</summary>
internal sealed class GatewayEndpoints
{
    internal ListenOptions? Http { get; set; }

    internal ListenOptions? Grpc { get; set; }

    /// <summary>The REST port bound; null before start.</summary>
    public int? HttpPort => (Http?.EndPoint as IPEndPoint)?.Port is int p and > 0 ? p : null;

    /// <summary>The gRPC port bound; null before start or with gRPC off.</summary>
    public int? GrpcPort => (Grpc?.EndPoint as IPEndPoint)?.Port is int p and > 0 ? p : null;
}
