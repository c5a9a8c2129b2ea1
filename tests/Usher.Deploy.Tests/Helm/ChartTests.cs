using k8s.Models;
using Usher.Cli.Batch;
using Usher.Cli.Commands;
using Usher.Gateway.Health;
using Usher.Server.Hosting;
using Usher.Testing;
using YamlDotNet.RepresentationModel;

namespace Usher.Deploy.Tests.Helm;

/// <summary>
/// deploy/helm/usher rendered by the real helm for each values file the chart ships (its defaults,
/// KEDA, the batch Job, the cluster mode with the gateway): every object must pass its schema, and the
/// objects must fit together and fit the server (its settings loader, its command line).
/// </summary>
public sealed class ChartTests
{
    /// <summary>The values files: null is the chart's values.yaml alone; the others are layered over it.</summary>
    public static TheoryData<string?> ValuesFiles => new() { null, "ci/keda-values.yaml", "ci/job-values.yaml", "ci/cluster-values.yaml" };

    /// <summary>What Kubernetes fills in for the pod: its address (<c>status.podIP</c>), and the PostgreSQL URL of the cluster mode's Secret.</summary>
    private const string PodIp = "10.42.0.17";

    private const string StateUrl = "postgresql://usher:a-password@postgres.ml.svc:5432/usher";

    [SkippableFact]
    public async Task Lint_Strict_Passes()
    {
        var (exit, output, error) = await HelmTool.RunAsync(["lint", "--strict", RenderedChart.ChartPath]);
        Assert.True(exit == 0, $"helm lint exited {exit}: {output}{error}");
    }

    [SkippableTheory]
    [MemberData(nameof(ValuesFiles))]
    public async Task Render_EveryObjectPassesItsSchema(string? values)
    {
        var chart = await RenderedChart.RenderAsync(values);

        Assert.True(chart.Problems.Count == 0, string.Join(Environment.NewLine, chart.Problems));
        Assert.Single(chart.All<V1Deployment>(), d => d.Metadata.Name == RenderedChart.ReleaseName);
        Assert.All(chart.Objects, o => Assert.True(o.Typed is not null || o.Kind is "ServiceMonitor" or "ScaledObject", $"{o}: neither typed nor a known custom resource"));
    }

    [SkippableTheory]
    [MemberData(nameof(ValuesFiles))]
    public async Task Deployment_ProbesHealth_AndItsGracePeriodCoversPreStopAndTheDrain(string? values)
    {
        var chart = await RenderedChart.RenderAsync(values);
        var deployment = chart.Get<V1Deployment>();
        var pod = deployment.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);
        var ports = container.Ports.Select(p => p.Name).ToHashSet();

        Assert.Equal("/v2/health/live", container.LivenessProbe.HttpGet.Path);
        Assert.Equal("/v2/health/ready", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal("/v2/health/live", container.StartupProbe.HttpGet.Path);
        Assert.All(new[] { container.LivenessProbe, container.ReadinessProbe, container.StartupProbe }, p => Assert.Contains(p.HttpGet.Port.Value, ports));

        // The grace period is the preStop sleep, then the server's drain bound (from the usher.yaml
        // the pod reads), then a margin: SIGKILL never cuts a drain short.
        var sleep = container.Lifecycle.PreStop.Exec.Command;
        Assert.Equal("sleep", sleep[0]);
        var settings = LoadSettings(chart);
        var drain = settings.Server.ShutdownTimeoutSeconds;
        Assert.True(pod.TerminationGracePeriodSeconds > int.Parse(sleep[1]) + drain, $"terminationGracePeriodSeconds {pod.TerminationGracePeriodSeconds} <= preStop {sleep[1]} + drain {drain}");
        Assert.Equal(int.Parse(sleep[1]) + drain + 5, pod.TerminationGracePeriodSeconds);

        // The ports the server listens on are the container's.
        Assert.Equal(settings.Server.HttpPort, container.Ports.Single(p => p.Name == "http").ContainerPort);
        if (settings.Server.GrpcPort >= 0)
        {
            Assert.Equal(settings.Server.GrpcPort, container.Ports.Single(p => p.Name == "grpc").ContainerPort);
        }
        else
        {
            Assert.DoesNotContain("grpc", ports);
        }

        // Resources are set (the values' comment says where to take them from).
        Assert.True(container.Resources.Requests.ContainsKey("cpu") && container.Resources.Requests.ContainsKey("memory"));
    }

    [SkippableTheory]
    [MemberData(nameof(ValuesFiles))]
    public async Task Pods_RunAsTheImagesUser_OnAReadOnlyRoot_WithEveryWrittenPathMounted(string? values)
    {
        var chart = await RenderedChart.RenderAsync(values);
        var imageUser = long.Parse(Docker.Dockerfile.Parse(File.ReadAllText(RepoRoot.Combine("deploy", "docker", "Dockerfile")))
            .Instructions.Last(i => i.Keyword == "USER").Arguments);
        var settings = LoadSettings(chart);
        var pods = chart.All<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template.Spec))
            .Concat(chart.All<V1Job>().Select(j => (j.Metadata.Name, j.Spec.Template.Spec)));
        foreach (var (name, pod) in pods)
        {
            Assert.True(pod.SecurityContext.RunAsNonRoot, name);
            Assert.Equal(imageUser, pod.SecurityContext.RunAsUser);
            foreach (var container in pod.Containers)
            {
                Assert.True(container.SecurityContext.ReadOnlyRootFilesystem, $"{name}/{container.Name}");
                Assert.False(container.SecurityContext.AllowPrivilegeEscalation, $"{name}/{container.Name}");
                var mounts = container.VolumeMounts.ToDictionary(m => m.MountPath);
                Assert.True(mounts.ContainsKey("/tmp") && mounts["/tmp"].ReadOnlyProperty != true, $"{name}/{container.Name}: /tmp is not writable");
                Assert.All(mounts.Values, m => Assert.Contains(pod.Volumes, v => v.Name == m.Name));
            }
        }

        // The server's state folder is a writable volume (in cluster mode the state is the shared
        // PostgreSQL instead); the repository is not written.
        var server = chart.Get<V1Deployment>().Spec.Template.Spec.Containers.Single().VolumeMounts;
        Assert.True(settings.Admin.State is not null || server.Any(m => m.MountPath == settings.Admin.DataDir && m.ReadOnlyProperty != true), $"admin.data_dir {settings.Admin.DataDir} is not a writable volume");
        Assert.All(server.Where(m => m.MountPath == RepositoryPath(chart)), m => Assert.True(m.ReadOnlyProperty));
    }

    [SkippableTheory]
    [MemberData(nameof(ValuesFiles))]
    public async Task Selectors_MatchThePods_AndTheServiceMonitorMatchesTheService(string? values)
    {
        var chart = await RenderedChart.RenderAsync(values);
        foreach (var deployment in chart.All<V1Deployment>())
        {
            var labels = deployment.Spec.Template.Metadata.Labels;
            Assert.True(IsSubset(deployment.Spec.Selector.MatchLabels, labels), $"{deployment.Metadata.Name}: selector does not match its pods");
        }

        var server = chart.Get<V1Deployment>().Spec.Template;
        var serverPorts = server.Spec.Containers.Single().Ports.Select(p => p.Name).ToHashSet();
        var service = chart.Get<V1Service>();
        Assert.True(IsSubset(service.Spec.Selector, server.Metadata.Labels), "the Service selects no server pod");
        Assert.All(service.Spec.Ports, p => Assert.Contains(p.TargetPort.Value, serverPorts));

        // Only the server's pods: the gateway's and the Job's are not behind it.
        foreach (var other in chart.All<V1Deployment>().Where(d => d.Metadata.Name != RenderedChart.ReleaseName))
        {
            Assert.False(IsSubset(service.Spec.Selector, other.Spec.Template.Metadata.Labels), $"the Service also selects {other.Metadata.Name}");
        }

        if (chart.All<V1PodDisruptionBudget>().SingleOrDefault() is { } pdb)
        {
            Assert.True(IsSubset(pdb.Spec.Selector.MatchLabels, server.Metadata.Labels));
            Assert.Equal("AlwaysAllow", pdb.Spec.UnhealthyPodEvictionPolicy);
        }

        var monitor = Assert.Single(chart.OfKind("ServiceMonitor")).Tree;
        var spec = (YamlMappingNode)monitor["spec"];
        var match = ((YamlMappingNode)((YamlMappingNode)spec["selector"])["matchLabels"]).Children.ToDictionary(c => c.Key.ToString(), c => c.Value.ToString());
        Assert.True(IsSubset(match, service.Metadata.Labels), "the ServiceMonitor selects the Service by labels it does not have");
        var endpoint = (YamlMappingNode)((YamlSequenceNode)spec["endpoints"])[0];
        Assert.Contains(endpoint["port"].ToString(), service.Spec.Ports.Select(p => p.Name));
        Assert.Equal("/metrics", endpoint["path"].ToString());
    }

    [SkippableTheory]
    [MemberData(nameof(ValuesFiles))]
    public async Task ServerArguments_ParseWithTheUsherCommand_AndItsSettingsLoad(string? values)
    {
        var chart = await RenderedChart.RenderAsync(values);
        var container = chart.Get<V1Deployment>().Spec.Template.Spec.Containers.Single();
        Assert.Equal("serve", container.Args[0]);

        Assert.Contains("--config=/etc/usher/usher.yaml", container.Args);
        Assert.Contains(container.VolumeMounts, m => m.MountPath == "/etc/usher/usher.yaml");

        // LoadSettings has parsed the arguments with no error and run the server's own checks over
        // the rendered usher.yaml, the arguments and the container's variables together.
        var settings = LoadSettings(chart);
        Assert.Equal("json", settings.Server.LogFormat);
        Assert.Equal(values == "ci/cluster-values.yaml", settings.Admin.State is not null);
    }

    [SkippableFact]
    public async Task Defaults_ScaleWithAnHpaOnTheQueueMetricAndCpu_TheQueueServedByTheAdapterRule()
    {
        var chart = await RenderedChart.RenderAsync();
        var hpa = chart.Get<V2HorizontalPodAutoscaler>();
        var deployment = chart.Get<V1Deployment>();

        Assert.Empty(chart.OfKind("ScaledObject"));
        Assert.Null(deployment.Spec.Replicas); // the HPA owns the count
        Assert.Equal(("apps/v1", "Deployment", deployment.Metadata.Name), (hpa.Spec.ScaleTargetRef.ApiVersion, hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        // The queue and CPU side by side: the queue alone flaps between min and max (docs/capacity.md).
        Assert.Equal(["Pods", "Resource"], hpa.Spec.Metrics.Select(m => m.Type));
        var cpu = hpa.Spec.Metrics[1].Resource;
        Assert.Equal(("cpu", "Utilization", 70), (cpu.Name, cpu.Target.Type, cpu.Target.AverageUtilization));
        Assert.NotNull(deployment.Spec.Template.Spec.Containers[0].Resources.Requests["cpu"]); // utilisation is of the request
        var metric = hpa.Spec.Metrics[0];
        Assert.Equal("Pods", metric.Type);
        Assert.Equal("usher_pending_requests", metric.Pods.Metric.Name);
        Assert.Equal("AverageValue", metric.Pods.Target.Type);
        Assert.Equal(5m, metric.Pods.Target.AverageValue.ToDecimal());

        // The adapter rule names the same metric, per pod, summed with the group-by the adapter needs.
        var rule = chart.Get<V1ConfigMap>("usher-adapter-rule");
        var config = new YamlStream();
        config.Load(new StringReader(rule.Data["config.yaml"]));
        var first = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)config.Documents[0].RootNode)["rules"])[0];
        Assert.Equal(metric.Pods.Metric.Name, ((YamlMappingNode)first["name"])["as"].ToString());
        Assert.StartsWith(metric.Pods.Metric.Name + "{", first["seriesQuery"].ToString(), StringComparison.Ordinal);
        Assert.Contains("by (<<.GroupBy>>)", first["metricsQuery"].ToString(), StringComparison.Ordinal);
        var overrides = (YamlMappingNode)((YamlMappingNode)first["resources"])["overrides"];
        Assert.Equal(["namespace", "pod"], overrides.Children.Keys.Select(k => k.ToString()));
    }

    [SkippableFact]
    public async Task Keda_ReplacesTheHpa_WithTheSameTarget()
    {
        var chart = await RenderedChart.RenderAsync("ci/keda-values.yaml");
        var deployment = chart.Get<V1Deployment>();

        Assert.Empty(chart.All<V2HorizontalPodAutoscaler>());
        Assert.DoesNotContain(chart.All<V1ConfigMap>(), c => c.Metadata.Name.EndsWith("-adapter-rule", StringComparison.Ordinal));
        Assert.Null(deployment.Spec.Replicas);
        var spec = (YamlMappingNode)Assert.Single(chart.OfKind("ScaledObject")).Tree["spec"];
        Assert.Equal(deployment.Metadata.Name, ((YamlMappingNode)spec["scaleTargetRef"])["name"].ToString());
        var trigger = (YamlMappingNode)((YamlSequenceNode)spec["triggers"])[0];
        var metadata = (YamlMappingNode)trigger["metadata"];
        Assert.Equal("AverageValue", trigger["metricType"].ToString());
        Assert.Equal("5", metadata["threshold"].ToString());
        Assert.Equal($"sum(usher_pending_requests{{namespace=\"{RenderedChart.Namespace}\",service=\"{chart.Get<V1Service>().Metadata.Name}\"}})", metadata["query"].ToString());
    }

    [SkippableFact]
    public async Task BothAutoscalers_FailTheRender_AndSoDoesAGatewayWithoutClusterMode()
    {
        var both = await RenderedChart.RenderRawAsync(null, "keda.enabled=true");
        Assert.NotEqual(0, both.Exit);
        Assert.Contains("hpa.enabled and keda.enabled are both true", both.Error, StringComparison.Ordinal);

        var gateway = await RenderedChart.RenderRawAsync(null, "gateway.enabled=true");
        Assert.NotEqual(0, gateway.Exit);
        Assert.Contains("gateway.enabled needs clusterMode.enabled", gateway.Error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Job_IsIndexed_OneShardPerIndex_AndItsArgumentsParseAsUsherBatch()
    {
        var chart = await RenderedChart.RenderAsync("ci/job-values.yaml");
        var job = chart.Get<V1Job>("usher-batch");
        var pod = job.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);

        Assert.Equal("Indexed", job.Spec.CompletionMode);
        Assert.Equal(4, job.Spec.Completions);
        Assert.Equal("Never", pod.RestartPolicy); // backoffLimitPerIndex needs it
        Assert.Equal(new[] { ExitCodes.BadSettings, ExitCodes.TooManyErrors }, job.Spec.PodFailurePolicy.Rules.Single().OnExitCodes.Values);
        Assert.Equal(container.Name, job.Spec.PodFailurePolicy.Rules.Single().OnExitCodes.ContainerName);

        // Every index gets its own shard of the same N, and its own output, by the CLI's own rules.
        var outputs = new HashSet<string>(StringComparer.Ordinal);
        for (var index = 0; index < job.Spec.Completions; index++)
        {
            var args = container.Args.Select(a => a.Replace("$(JOB_COMPLETION_INDEX)", index.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)).ToArray();
            var parse = UsherRootCommand.Create().Parse(args);
            Assert.Empty(parse.Errors);
            Assert.Equal("batch", parse.CommandResult.Command.Name);
            var shard = ShardSpec.Parse(args.Single(a => a.StartsWith("--shard=", StringComparison.Ordinal))["--shard=".Length..], out var problem);
            Assert.True(shard is not null, problem);
            Assert.Equal((index, job.Spec.Completions.Value), (shard!.Value.Index, shard.Value.Count));
            Assert.True(outputs.Add(args.Single(a => a.StartsWith("--output=", StringComparison.Ordinal))), "two indexes write one output");
        }

        Assert.Contains("--keep=id,ts", container.Args);
        Assert.Contains("--resume", container.Args);
    }

    [SkippableFact]
    public async Task ClusterMode_AddsTheGateway_AndReadsThePostgreSqlUrlFromASecret()
    {
        var chart = await RenderedChart.RenderAsync("ci/cluster-values.yaml");
        var server = chart.Get<V1Deployment>();
        var gateway = chart.Get<V1Deployment>("usher-gateway");
        var gatewayService = chart.Get<V1Service>("usher-gateway");

        Assert.Equal(2, server.Spec.Replicas); // no autoscaler: the chart's replicaCount
        Assert.True(IsSubset(gatewayService.Spec.Selector, gateway.Spec.Template.Metadata.Labels));
        foreach (var container in new[] { server.Spec.Template.Spec.Containers.Single(), gateway.Spec.Template.Spec.Containers.Single() })
        {
            var url = container.Env.Single(e => e.Name == "USHER_STATE_URL").ValueFrom.SecretKeyRef;
            Assert.Equal(("usher-postgresql", "url"), (url.Name, url.Key));
            Assert.Contains("--state=$(USHER_STATE_URL)", container.Args);
        }

        Assert.Contains("--region=eu-west", server.Spec.Template.Spec.Containers.Single().Args);
        Assert.DoesNotContain(chart.Get<V1Service>().Spec.Ports, p => p.Name == "grpc");

        // Each replica starts: the shared state alone (no state file of its own, which the server
        // refuses beside --state), and an address the gateway and the other replicas can reach, since
        // it listens on every interface (without one it exits 2 at start).
        var settings = LoadSettings(chart);
        Assert.Equal(StateUrl, settings.Admin.State);
        Assert.Null(settings.Admin.DataDir);
        Assert.Equal($"http://{PodIp}:{settings.Server.HttpPort}", settings.Cluster.Advertise);
        Assert.Null(Usher.Server.Cluster.ReplicaAddress.Problem(settings.Server, settings.Cluster));
        Assert.Equal("eu-west", settings.Cluster.Region);

        // The gateway's arguments parse into options it accepts, its ports are its container's, and
        // its probes ask the gateway itself, not a replica through it.
        var proxy = gateway.Spec.Template.Spec.Containers.Single();
        var parse = UsherRootCommand.Create().Parse([.. proxy.Args.Select(a => Expand(a, proxy))]);
        Assert.Empty(parse.Errors);
        var options = GatewayCommand.Options(parse);
        Assert.Empty(options.Problems());
        Assert.Equal((StateUrl, "eu-west"), (options.State, options.Region));
        Assert.Equal(options.HttpPort, proxy.Ports.Single(p => p.Name == "http").ContainerPort);
        Assert.Equal(options.GrpcPort, proxy.Ports.Single(p => p.Name == "grpc").ContainerPort);
        Assert.Equal(GatewayHealth.LivePath, proxy.LivenessProbe.HttpGet.Path);
        Assert.Equal(GatewayHealth.LivePath, proxy.ReadinessProbe.HttpGet.Path);
    }

    [Fact]
    public void Parse_ReportsUnknownFields_DuplicateKeys_AndUnquotedCustomResourceStrings()
    {
        // The schema check itself, on objects with one mistake each.
        var chart = RenderedChart.Parse("""
            ---
            # Source: usher/templates/a.yaml
            apiVersion: v1
            kind: Service
            metadata: { name: a }
            spec:
              ports: [{ port: 80, targetPortt: http }]
            ---
            # Source: usher/templates/b.yaml
            apiVersion: v1
            kind: ConfigMap
            metadata: { name: b }
            data: { x: "1" }
            data: { y: "2" }
            ---
            # Source: usher/templates/c.yaml
            apiVersion: keda.sh/v1alpha1
            kind: ScaledObject
            metadata: { name: c }
            spec:
              scaleTargetRef: { name: usher }
              pollingIntervall: 15
              triggers:
                - type: prometheus
                  metadata: { serverAddress: "http://p:9090", query: "sum(x)", threshold: 5 }
            ---
            # Source: usher/templates/d.yaml
            apiVersion: monitoring.coreos.com/v1
            kind: ServiceMonitor
            metadata: { name: d }
            spec:
              selector: { matchLabels: { app: usher } }
              endpoints: [{ port: http, interval: soon }]
            ---
            # Source: usher/templates/e.yaml
            apiVersion: example.com/v1
            kind: Unknown
            metadata: { name: e }
            """);

        Assert.Collection(
            chart.Problems,
            p => Assert.Contains("targetPortt", p, StringComparison.Ordinal),
            p => Assert.Contains("duplicate key", p, StringComparison.OrdinalIgnoreCase),
            p => Assert.Contains("unknown field 'pollingIntervall'", p, StringComparison.Ordinal),
            p => Assert.Contains("spec.triggers[0].metadata.threshold: expected a string", p, StringComparison.Ordinal),
            p => Assert.Contains("spec.endpoints[0].interval: expected a duration", p, StringComparison.Ordinal),
            p => Assert.StartsWith("usher/templates/e.yaml Unknown e:", p, StringComparison.Ordinal));
    }

    /// <summary>
    /// The settings the server's container starts with, by the server's own loader: the rendered
    /// usher.yaml, the container's arguments as <c>usher serve</c> reads them (<see cref="ServeCommand.Settings"/>,
    /// after an assertion that they parse with no error), and its USHER_* variables, with what Kubernetes
    /// fills in (<c>$(VAR)</c> in arguments, a Secret's key, the pod's address) given sample values.
    /// </summary>
    private static UsherSettings LoadSettings(RenderedChart chart)
    {
        var configMap = chart.Get<V1ConfigMap>();
        var container = chart.Get<V1Deployment>().Spec.Template.Spec.Containers.Single();
        using var folder = new TempDirectory();
        var file = folder.Combine("usher.yaml");
        File.WriteAllText(file, configMap.Data["usher.yaml"]);
        var environment = container.Env.Where(e => e.Name.StartsWith("USHER_", StringComparison.Ordinal)).ToDictionary(e => e.Name, e => Value(e));

        var parse = UsherRootCommand.Create().Parse([.. container.Args.Select(a => Expand(a, container))]);
        Assert.True(parse.Errors.Count == 0, string.Join(Environment.NewLine, parse.Errors.Select(e => e.Message)));
        var (configFile, overrides) = ServeCommand.Settings(parse);
        Assert.Equal("/etc/usher/usher.yaml", configFile);

        // Only the repository (and the admin token file, once it is shown to be in a mounted Secret)
        // is moved to a folder that exists here; every other key is the chart's.
        overrides["repository:path"] = folder.Path;
        if (Setting(chart, "admin", "token_file") is { } tokenFile)
        {
            var mount = container.VolumeMounts.SingleOrDefault(m => m.MountPath == Path.GetDirectoryName(tokenFile));
            Assert.True(mount is not null, $"admin.token_file {tokenFile} is in no mounted folder");
            var secret = chart.Get<V1Deployment>().Spec.Template.Spec.Volumes.Single(v => v.Name == mount!.Name).Secret;
            Assert.True(secret is not null, $"admin.token_file {tokenFile}: its folder is not a Secret");
            Assert.Equal("token", Path.GetFileName(tokenFile)); // the key the values document
            File.WriteAllText(folder.Combine("token"), "a-token-of-at-least-16-characters\n");
            overrides["admin:token_file"] = folder.Combine("token");
        }

        return UsherSettings.Load(file, overrides, environment);
    }

    /// <summary>A container's variable as Kubernetes sets it: its value, or a sample for what it is given from.</summary>
    private static string Value(V1EnvVar variable) => variable switch
    {
        { Value: { } value } => value,
        { ValueFrom.FieldRef.FieldPath: "status.podIP" } => PodIp,
        { ValueFrom.SecretKeyRef: not null } => StateUrl,
        { ValueFrom.ResourceFieldRef: not null } => "2",
        _ => throw new InvalidOperationException($"the variable {variable.Name} has no value and no source this test knows"),
    };

    /// <summary>An argument with its <c>$(VAR)</c> references replaced by the container's variables, as the kubelet does.</summary>
    private static string Expand(string argument, V1Container container)
        => System.Text.RegularExpressions.Regex.Replace(argument, @"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", m =>
            container.Env?.SingleOrDefault(e => e.Name == m.Groups[1].Value) is { } variable ? Value(variable) : m.Value);

    /// <summary>A key of the rendered usher.yaml, or null.</summary>
    private static string? Setting(RenderedChart chart, string section, string key)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(chart.Get<V1ConfigMap>().Data["usher.yaml"]));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        return root.Children.TryGetValue(section, out var s) && ((YamlMappingNode)s).Children.TryGetValue(key, out var v) ? v.ToString() : null;
    }

    /// <summary>repository.path as the rendered usher.yaml sets it (<see cref="LoadSettings"/> moves it here).</summary>
    private static string RepositoryPath(RenderedChart chart) => Setting(chart, "repository", "path")!;

    private static bool IsSubset(IDictionary<string, string>? selector, IDictionary<string, string>? labels)
        => selector is { Count: > 0 } && labels is not null && selector.All(s => labels.TryGetValue(s.Key, out var v) && v == s.Value);
}
