using System.Globalization;
using Usher.ControlPlane.Cluster;
using Usher.Server.Hosting;

namespace Usher.Server.Cluster;

/// <summary>The addresses a replica registers: <c>cluster.advertise</c>, or the ones it listens on.</summary>
internal static class ReplicaAddress
{
    /// <summary>Why no address can be derived (the server listens on every interface and no <c>cluster.advertise</c> is given), or null.</summary>
    public static string? Problem(ServerOptions server, ClusterOptions replica)
        => replica.Advertise is null && ClusterOptions.IsAnyAddress(server.Host)
            ? $"cluster.advertise: the server listens on {server.Host} (server.host), an address no other replica or gateway can reach it at; give the address they reach it at with --advertise URL (cluster.advertise), for example http://10.0.0.5:{server.HttpPort.ToString(CultureInfo.InvariantCulture)}, or listen on one address with server.host"
            : null;

    /// <summary>The REST and gRPC base URLs, once the server listens (the bound ports, where 0 picked them).</summary>
    public static (string Http, string? Grpc) Of(ServerOptions server, ClusterOptions replica, ListenEndpoints listening)
    {
        var scheme = listening.Certificate is null ? "http" : "https";
        var host = replica.Advertise is { } advertise ? new Uri(advertise).Host : server.Host;
        host = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
        var http = replica.Advertise?.TrimEnd('/') ?? $"{scheme}://{host}:{listening.HttpPort?.ToString(CultureInfo.InvariantCulture) ?? server.HttpPort.ToString(CultureInfo.InvariantCulture)}";
        var grpc = listening.GrpcPort is int grpcPort ? $"{scheme}://{host}:{grpcPort.ToString(CultureInfo.InvariantCulture)}" : null;
        return (http, grpc);
    }
}
