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
        ("matchExpressions", ListOf(Object(("key", Text), ("operator", OneOf("In", "NotIn", "Exists", "DoesNotExist")), ("values", ListOf(Text))).Requiring("key", "operator"))));

    private static readonly ObjectSchema Metadata = Object(
        ("name", Text), ("namespace", Text), ("labels", StringMap), ("annotations", StringMap)).Requiring("name");

    private static readonly ObjectSchema Endpoint = Object(
        ("port", Text), ("targetPort", IntOrString), ("path", Text), ("scheme", OneOf("http", "https", "HTTP", "HTTPS")),
        ("params", new TreeSchema()), ("interval", Duration), ("scrapeTimeout", Duration), ("tlsConfig", new TreeSchema()),
        ("bearerTokenFile", Text), ("bearerTokenSecret", new TreeSchema()), ("authorization", new TreeSchema()),
        ("honorLabels", Bool), ("honorTimestamps", Bool), ("trackTimestampsStaleness", Bool), ("basicAuth", new TreeSchema()),
        ("oauth2", new TreeSchema()), ("metricRelabelings", ListOf(new TreeSchema())), ("relabelings", ListOf(new TreeSchema())),
        ("proxyUrl", Text), ("followRedirects", Bool), ("enableHttp2", Bool), ("filterRunning", Bool),
        ("noProxy", Text), ("proxyFromEnvironment", Bool), ("proxyConnectHeader", new TreeSchema()));

    /// <summary>monitoring.coreos.com/v1 ServiceMonitor.</summary>
    public static ObjectSchema ServiceMonitor { get; } = Object(
        ("apiVersion", OneOf("monitoring.coreos.com/v1")), ("kind", OneOf("ServiceMonitor")), ("metadata", Metadata),
        ("spec", Object(
            ("jobLabel", Text), ("targetLabels", ListOf(Text)), ("podTargetLabels", ListOf(Text)),
            ("endpoints", ListOf(Endpoint)), ("selector", LabelSelector), ("selectorMechanism", OneOf("RelabelConfig", "RoleSelector")),
            ("namespaceSelector", Object(("any", Bool), ("matchNames", ListOf(Text)))),
            ("sampleLimit", Int), ("scrapeProtocols", ListOf(Text)), ("fallbackScrapeProtocol", Text), ("targetLimit", Int),
            ("labelLimit", Int), ("labelNameLengthLimit", Int), ("labelValueLengthLimit", Int),
            ("scrapeClassicHistograms", Bool), ("nativeHistogramBucketLimit", Int), ("nativeHistogramMinBucketFactor", Text),
            ("convertClassicHistogramsToNHCB", Bool), ("keepDroppedTargets", Int), ("attachMetadata", Object(("node", Bool))),
            ("scrapeClass", Text), ("bodySizeLimit", Text), ("serviceDiscoveryRole", OneOf("Endpoints", "EndpointSlice"))).Requiring("endpoints", "selector")))
        .Requiring("apiVersion", "kind", "metadata", "spec");

    private static readonly ObjectSchema PrometheusTriggerMetadata = Object(
        ("serverAddress", Text), ("query", Text), ("threshold", Text), ("activationThreshold", Text),
        ("namespace", Text), ("customHeaders", Text), ("ignoreNullValues", Text), ("queryParameters", Text),
        ("unsafeSsl", Text), ("timeout", Text), ("authModes", Text)).Requiring("serverAddress", "query", "threshold");

    /// <summary>keda.sh/v1alpha1 ScaledObject with Prometheus triggers (the only scaler the chart uses).</summary>
    public static ObjectSchema ScaledObject { get; } = Object(
        ("apiVersion", OneOf("keda.sh/v1alpha1")), ("kind", OneOf("ScaledObject")), ("metadata", Metadata),
        ("spec", Object(
            ("scaleTargetRef", Object(("apiVersion", Text), ("kind", Text), ("name", Text), ("envSourceContainerName", Text)).Requiring("name")),
            ("pollingInterval", Int), ("cooldownPeriod", Int), ("initialCooldownPeriod", Int), ("idleReplicaCount", Int),
            ("minReplicaCount", Int), ("maxReplicaCount", Int),
            ("fallback", Object(("failureThreshold", Int), ("replicas", Int), ("behavior", OneOf("static", "currentReplicas", "currentReplicasIfHigher", "currentReplicasIfLower")))),
            ("advanced", Object(
                ("restoreToOriginalReplicaCount", Bool),
                ("horizontalPodAutoscalerConfig", Object(("name", Text), ("behavior", new TypedSchema<k8s.Models.V2HorizontalPodAutoscalerBehavior>()))),
                ("scalingModifiers", Object(("formula", Text), ("target", Text), ("activationTarget", Text), ("metricType", OneOf("AverageValue", "Value")))))),
            ("triggers", ListOf(Object(
                ("type", OneOf("prometheus")), ("name", Text), ("metadata", PrometheusTriggerMetadata),
                ("authenticationRef", Object(("name", Text), ("kind", OneOf("TriggerAuthentication", "ClusterTriggerAuthentication"))).Requiring("name")),
                ("metricType", OneOf("AverageValue", "Value", "Utilization")), ("useCachedMetrics", Bool)).Requiring("type", "metadata")))).Requiring("scaleTargetRef", "triggers")))
        .Requiring("apiVersion", "kind", "metadata", "spec");
}
