using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Usher.Server.Hosting;

/// <summary>
/// The listeners Kestrel was configured with, so that the bound ports (free ports picked for 0)
/// can be told apart once the server has started.
/// </summary>
internal sealed class ListenEndpoints
{
    internal ListenOptions? Http { get; set; }

    internal ListenOptions? Grpc { get; set; }

    /// <summary>The certificate both ports serve with TLS; null without TLS.</summary>
    internal System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; set; }

    /// <summary>The REST port actually bound; null before the server starts.</summary>
    public int? HttpPort => (Http?.EndPoint as IPEndPoint)?.Port is int p and > 0 ? p : null;

    /// <summary>The gRPC port actually bound; null before the server starts or when gRPC is off.</summary>
    public int? GrpcPort => (Grpc?.EndPoint as IPEndPoint)?.Port is int p and > 0 ? p : null;
}
