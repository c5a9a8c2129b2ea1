using System.Net;
using Microsoft.Extensions.Primitives;
using Usher.Gateway.Health;
using Usher.Gateway.Hosting;
using Usher.Gateway.LoadBalancing;
using Usher.Gateway.Registry;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Usher.Gateway.Configuration;

/// <summary>
/// YARP's configuration from the replica registry: two clusters whose destinations are the replicas
/// up (id = replica id), one at their REST addresses and one at their gRPC addresses, and the routes
/// of the Open Inference Protocol onto them. The model-aware choice happens per request
/// (<see cref="Routing.ReplicaChoiceMiddleware"/>); this only says where the replicas are.
/// </summary>
internal sealed class ReplicaProxyConfigProvider : IProxyConfigProvider
{
    public const string RestCluster = "rest";
    public const string GrpcCluster = "grpc";
    public const string HealthPath = "/v2/health/ready";

    private readonly GatewayOptions _options;
    private volatile Snapshot _config;

    public ReplicaProxyConfigProvider(GatewayOptions options)
    {
        _options = options;
        _config = new Snapshot(Routes(options), Clusters(options, RegistrySnapshot.Empty));
    }

    public IProxyConfig GetConfig() => _config;

    /// <summary>Swaps in the destinations of <paramref name="registry"/>; YARP keeps the health of those that stay.</summary>
    public void Update(RegistrySnapshot registry)
    {
        var previous = _config;
        _config = new Snapshot(previous.Routes, Clusters(_options, registry));
        previous.SignalChange();
    }

    private static IReadOnlyList<RouteConfig> Routes(GatewayOptions options)
    {
        List<RouteConfig> routes =
        [
            new() { RouteId = "oip-rest", ClusterId = RestCluster, Match = new RouteMatch { Path = "/v2/{**rest}" } },
            // Everything else a replica answers (the admin API, the dashboard) goes to any replica, never retried.
            new() { RouteId = "other", ClusterId = RestCluster, Order = 100, Match = new RouteMatch { Path = "/{**rest}" } },
        ];
        if (options.GrpcPort >= 0)
        {
            routes.Add(new() { RouteId = "oip-grpc", ClusterId = GrpcCluster, Match = new RouteMatch { Path = "/inference.GRPCInferenceService/{method}" } });
        }

        return routes;
    }

    private static IReadOnlyList<ClusterConfig> Clusters(GatewayOptions options, RegistrySnapshot registry)
    {
        var rest = new ClusterConfig
        {
            ClusterId = RestCluster,
            LoadBalancingPolicy = QueueDepthPolicy.PolicyName,
            HealthCheck = new HealthCheckConfig
            {
                AvailableDestinationsPolicy = "HealthyAndUnknown",
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = options.HealthCheckInterval,
                    Timeout = options.HealthCheckTimeout,
                    Policy = "ConsecutiveFailures",
                    Path = HealthPath,
                },
                Passive = Passive(options),
            },
            Destinations = registry.Replicas.Values.ToDictionary(
                r => r.Id,
                r => new DestinationConfig { Address = r.HttpAddress },
                StringComparer.Ordinal),
        };

        // gRPC destinations are the same replicas at their gRPC ports; their health is the REST
        // destination's (the probe is an HTTP/1.1 GET on the REST port), plus their own passive health.
        var grpc = new ClusterConfig
        {
            ClusterId = GrpcCluster,
            LoadBalancingPolicy = QueueDepthPolicy.PolicyName,
            HealthCheck = new HealthCheckConfig
            {
                AvailableDestinationsPolicy = "HealthyAndUnknown",
                Passive = Passive(options),
            },
            // h2c: without TLS there is no ALPN, so HTTP/2 must be asked for exactly.
            HttpRequest = new ForwarderRequestConfig { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact },
            Destinations = registry.Replicas.Values.Where(r => r.GrpcAddress is not null).ToDictionary(
                r => r.Id,
                r => new DestinationConfig { Address = r.GrpcAddress! },
                StringComparer.Ordinal),
        };
        return [rest, grpc];
    }

    private static PassiveHealthCheckConfig Passive(GatewayOptions options) => new()
    {
        Enabled = true,
        Policy = ConnectionFailurePolicy.PolicyName,
        ReactivationPeriod = options.ReactivationPeriod,
    };

    private sealed class Snapshot(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters) : IProxyConfig
    {
        private readonly CancellationTokenSource _changed = new();

        public IReadOnlyList<RouteConfig> Routes { get; } = routes;

        public IReadOnlyList<ClusterConfig> Clusters { get; } = clusters;

        public IChangeToken ChangeToken => new CancellationChangeToken(_changed.Token);

        public void SignalChange() => _changed.Cancel();
    }
}
