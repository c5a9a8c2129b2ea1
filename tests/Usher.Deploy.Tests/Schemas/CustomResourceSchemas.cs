using static Usher.Deploy.Tests.Schemas.FieldSchema;

namespace Usher.Deploy.Tests.Schemas;

/// <summary>
/// The known fields of the custom resources the chart renders, which KubernetesClient has no
/// typed models for. Sources: the Prometheus Operator's API reference (monitoring.coreos.com/v1
/// ServiceMonitorSpec, Endpoint, NamespaceSelector) and KEDA's ScaledObject specification and
/// Prometheus scaler page (keda.sh/v1alpha1, KEDA 2.17). Fields the chart never sets are listed
/// too, so that the schema tells a misspelling from a field the chart does not use.
/// </summary>
internal static class CustomResourceSchemas
{
    private static readonly ObjectSchema LabelSelector = Object(
        ("matchLabels", StringMap),
        ("matchExpressions", ListOf(Object(("key", String), ("operator", OneOf("In", "NotIn", "Exists", "DoesNotExist")), ("values", ListOf(String))).Requiring("key", "operator"))));

    private static readonly ObjectSchema Metadata = Object(
        ("name", String), ("namespace", String), ("labels", StringMap), ("annotations", StringMap)).Requiring("name");

    private static readonly ObjectSchema Endpoint = Object(
        ("port", String), ("targetPort", IntOrString), ("path", String), ("scheme", OneOf("http", "https", "HTTP", "HTTPS")),
        ("params", new TreeSchema()), ("interval", Duration), ("scrapeTimeout", Duration), ("tlsConfig", new TreeSchema()),
        ("bearerTokenFile", String), ("bearerTokenSecret", new TreeSchema()), ("authorization", new TreeSchema()),
        ("honorLabels", Boolean), ("honorTimestamps", Boolean), ("trackTimestampsStaleness", Boolean), ("basicAuth", new TreeSchema()),
        ("oauth2", new TreeSchema()), ("metricRelabelings", ListOf(new TreeSchema())), ("relabelings", ListOf(new TreeSchema())),
        ("proxyUrl", String), ("followRedirects", Boolean), ("enableHttp2", Boolean), ("filterRunning", Boolean),
        ("noProxy", String), ("proxyFromEnvironment", Boolean), ("proxyConnectHeader", new TreeSchema()));

    /// <summary>monitoring.coreos.com/v1 ServiceMonitor.</summary>
    public static ObjectSchema ServiceMonitor { get; } = Object(
        ("apiVersion", OneOf("monitoring.coreos.com/v1")), ("kind", OneOf("ServiceMonitor")), ("metadata", Metadata),
        ("spec", Object(
            ("jobLabel", String), ("targetLabels", ListOf(String)), ("podTargetLabels", ListOf(String)),
            ("endpoints", ListOf(Endpoint)), ("selector", LabelSelector), ("selectorMechanism", OneOf("RelabelConfig", "RoleSelector")),
            ("namespaceSelector", Object(("any", Boolean), ("matchNames", ListOf(String)))),
            ("sampleLimit", Integer), ("scrapeProtocols", ListOf(String)), ("fallbackScrapeProtocol", String), ("targetLimit", Integer),
            ("labelLimit", Integer), ("labelNameLengthLimit", Integer), ("labelValueLengthLimit", Integer),
            ("scrapeClassicHistograms", Boolean), ("nativeHistogramBucketLimit", Integer), ("nativeHistogramMinBucketFactor", String),
            ("convertClassicHistogramsToNHCB", Boolean), ("keepDroppedTargets", Integer), ("attachMetadata", Object(("node", Boolean))),
            ("scrapeClass", String), ("bodySizeLimit", String), ("serviceDiscoveryRole", OneOf("Endpoints", "EndpointSlice"))).Requiring("endpoints", "selector")))
        .Requiring("apiVersion", "kind", "metadata", "spec");

    private static readonly ObjectSchema PrometheusTriggerMetadata = Object(
        ("serverAddress", String), ("query", String), ("threshold", String), ("activationThreshold", String),
        ("namespace", String), ("customHeaders", String), ("ignoreNullValues", String), ("queryParameters", String),
        ("unsafeSsl", String), ("timeout", String), ("authModes", String)).Requiring("serverAddress", "query", "threshold");

    /// <summary>keda.sh/v1alpha1 ScaledObject with Prometheus triggers (the only scaler the chart uses).</summary>
    public static ObjectSchema ScaledObject { get; } = Object(
        ("apiVersion", OneOf("keda.sh/v1alpha1")), ("kind", OneOf("ScaledObject")), ("metadata", Metadata),
        ("spec", Object(
            ("scaleTargetRef", Object(("apiVersion", String), ("kind", String), ("name", String), ("envSourceContainerName", String)).Requiring("name")),
            ("pollingInterval", Integer), ("cooldownPeriod", Integer), ("initialCooldownPeriod", Integer), ("idleReplicaCount", Integer),
            ("minReplicaCount", Integer), ("maxReplicaCount", Integer),
            ("fallback", Object(("failureThreshold", Integer), ("replicas", Integer), ("behavior", OneOf("static", "currentReplicas", "currentReplicasIfHigher", "currentReplicasIfLower")))),
            ("advanced", Object(
                ("restoreToOriginalReplicaCount", Boolean),
                ("horizontalPodAutoscalerConfig", Object(("name", String), ("behavior", new TypedSchema<k8s.Models.V2HorizontalPodAutoscalerBehavior>()))),
                ("scalingModifiers", Object(("formula", String), ("target", String), ("activationTarget", String), ("metricType", OneOf("AverageValue", "Value")))))),
            ("triggers", ListOf(Object(
                ("type", OneOf("prometheus")), ("name", String), ("metadata", PrometheusTriggerMetadata),
                ("authenticationRef", Object(("name", String), ("kind", OneOf("TriggerAuthentication", "ClusterTriggerAuthentication"))).Requiring("name")),
                ("metricType", OneOf("AverageValue", "Value", "Utilization")), ("useCachedMetrics", Boolean)).Requiring("type", "metadata")))).Requiring("scaleTargetRef", "triggers")))
        .Requiring("apiVersion", "kind", "metadata", "spec");
}
