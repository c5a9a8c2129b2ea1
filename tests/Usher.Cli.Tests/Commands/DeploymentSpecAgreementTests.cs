using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Usher.Cli.Admin;
using Usher.Cli.Commands;
using Usher.ControlPlane.Deployments;

namespace Usher.Cli.Tests.Commands;

/// <summary>
/// One list of specs, valid and invalid, fed to both paths that judge a deployment: the CLI's offline
/// check of a YAML file, and the admin API over HTTP on a real server (<c>?dry_run=true</c>). Each spec
/// is written in JSON, which is also YAML, so both paths read the very same text. Both must give the
/// verdict and the messages written here, which covers every rule and every rule on which the CLI and
/// the server used to disagree.
/// </summary>
public sealed class DeploymentSpecAgreementTests(KestrelUsher server) : IClassFixture<KestrelUsher>
{
    private const string Arms = "\"variants\": [{\"version\": 1, \"weight\": 50}, {\"version\": 2, \"weight\": 50}]";
    private const string Expected = "expected a duration such as 500ms, 90s, 10m or 1h";

    public static TheoryData<string, string[]> Specs => new()
    {
        // Valid: each strategy with its own sections; the boundaries of the former differences.
        { """{"endpoint": "fraud", "version": 1, "strategy": "canary"}""", [] },
        { """{"endpoint": "fraud", "model": "fraud", "version": 1, "strategy": "canary", "canary": {"steps": [5, 25, 50, 100], "interval": "1.5h"}, "analysis": {"min_requests": 50, "min_predictions": 50, "inconclusive_after": "10m", "max_error_rate": 0.05, "alpha": 0.5, "max_latency_p99_ratio": 1.5, "max_latency_p50_ratio": 1.25, "min_latency_delta_ms": 0, "max_psi": 0.2}}""", [] },
        { """{"endpoint": "fraud", "version": 1, "strategy": "blue-green", "blue_green": {"rollback_window": "500ms", "validation": {"agreement": {"samples": 50, "tolerance": 0, "min_agreement": 0.9, "outputs": ["label"]}}}}""", [] },
        { """{"endpoint": "fraud", "version": 1, "strategy": "blue-green", "blue_green": {"validation": null}}""", [] },
        { """{"endpoint": "fraud", "version": 1, "strategy": "shadow", "shadow": {"percent": 12.5, "queue": 64, "tolerance": 0.001, "gate": {"min_samples": 200, "min_agreement": 0.95}}, "canary": {"steps": [25, 100], "interval": "30s"}}""", [] },
        { """{"endpoint": "fraud", "version": 1, "strategy": "direct", "analysis": {"max_error_rate": 0.1}}""", [] },
        { """{"endpoint": "fraud", "strategy": "ab", "ab": {""" + Arms + """, "metric": "clicked", "kind": "continuous"}}""", [] },
        { """{"endpoint": "fraud", "strategy": "bandit", "ab": {""" + Arms + """, "min_share": 0.2, "update_interval": "5m"}}""", [] },

        // Required keys, unknown keys, types.
        { "{}", ["endpoint: required (the endpoint to deploy to, e.g. 'fraud')", "strategy: required (one of canary, blue-green, direct, shadow, ab, bandit)", "version: required (a positive integer, the version folder to deploy)"] },
        { """["fraud"]""", ["expected a mapping with endpoint, version and strategy, got a list"] },
        { """{"endpoint": "fraud", "version": 2, "stratgy": "canary"}""", ["stratgy: unknown key (did you mean 'strategy'?)", "strategy: required (one of canary, blue-green, direct, shadow, ab, bandit)"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "zzzzzz": 1}""", ["zzzzzz: unknown key (expected one of: endpoint, model, version, strategy, canary, blue_green, shadow, analysis, ab)"] },
        { """{"endpoint": 5, "version": 2, "strategy": "direct"}""", ["endpoint: expected a non-empty string, got 5"] },
        { """{"endpoint": "fraud", "version": 0, "strategy": "direct"}""", ["version: 0 is below the minimum 1"] },
        { """{"endpoint": "fraud", "version": "2", "strategy": "direct"}""", ["version: expected an integer >= 1, got '2'"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": 5}""", ["canary: expected a mapping, got 5"] },

        // Strategy names are exact (the CLI used to ignore case).
        { """{"endpoint": "fraud", "version": 2, "strategy": "Blue-Green"}""", ["strategy: unknown strategy 'Blue-Green' (did you mean 'blue-green'?)"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "mirror"}""", ["strategy: unknown strategy 'mirror' (expected one of: canary, blue-green, direct, shadow, ab, bandit)"] },

        // A section applies only to the strategies that read it (the admin API used to accept these).
        { """{"endpoint": "fraud", "version": 2, "strategy": "blue-green", "canary": {"steps": [5, 100]}}""", ["canary: applies only to strategy canary or shadow, not blue-green; remove the section or set strategy: canary"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "direct", "blue_green": {"rollback_window": "10m"}}""", ["blue_green: applies only to strategy blue-green, not direct; remove the section or set strategy: blue-green"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "shadow": {"percent": 10}}""", ["shadow: applies only to strategy shadow, not canary; remove the section or set strategy: shadow"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "ab": {""" + Arms + """}}""", ["ab: applies only to strategy ab or bandit, not canary; remove the section or set strategy: ab"] },

        // Canary steps: [100] is refused (the CLI used to accept it); order, range, the last step.
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"steps": [100]}}""", ["canary.steps: [100] leaves no step to analyze (steps below 100 are judged; reaching 100 is the promotion); use strategy direct to switch at once"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"steps": [50, 25, 90]}}""", ["canary.steps: the last step is 90, expected 100 (the canary ends with all traffic)", "canary.steps: [50, 25, 90] must be strictly ascending"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"steps": [5, 250, 0, 100]}}""", ["canary.steps[1]: 250 is not a weight (expected an integer from 1 to 100)", "canary.steps[2]: 0 is not a weight (expected an integer from 1 to 100)"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"steps": []}}""", ["canary.steps: expected at least one step, ending at 100, e.g. [5, 25, 50, 100]"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"steps": "5,100"}}""", ["canary.steps: expected a list of weights in percent, e.g. [5, 25, 50, 100]"] },

        // Durations need a unit and must be above zero (the server used to take 90 and 0s).
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"interval": 90}}""", [$"canary.interval: 90 has no unit ({Expected}; e.g. 90s)"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"interval": "90"}}""", [$"canary.interval: '90' is not a duration ({Expected})"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "blue-green", "blue_green": {"rollback_window": "0s"}}""", [$"blue_green.rollback_window: '0s' is not above zero ({Expected})"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"interval": "soon"}}""", [$"canary.interval: 'soon' is not a duration ({Expected})"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"interval": "500ms"}}""", ["canary.interval: 500ms is too short (at least 1s)"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "analysis": {"inconclusive_after": "-1m"}}""", [$"analysis.inconclusive_after: '-1m' is not a duration ({Expected})"] },

        // Analysis: alpha is a significance level up to 0.5 (the server used to take up to 1).
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "analysis": {"alpha": 0.99}}""", ["analysis.alpha: 0.99 is out of range (expected above 0, up to 0.5); alpha is the significance level, e.g. 0.01, not the confidence 0.99"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "analysis": {"alpha": 0}}""", ["analysis.alpha: 0 is out of range (expected above 0, up to 0.5); alpha is the significance level, e.g. 0.01, not the confidence 0.99"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "canary", "analysis": {"max_error_rate": 2, "max_latency_p99_ratio": 1, "max_psi": 0, "min_latency_delta_ms": -1, "min_requests": 0}}""", ["analysis.min_requests: 0 is below the minimum 1", "analysis.max_error_rate: 2 is out of range (expected from 0 to 1)", "analysis.max_latency_p99_ratio: 1 is out of range (expected above 1)", "analysis.min_latency_delta_ms: -1 is out of range (expected >= 0)", "analysis.max_psi: 0 is out of range (expected above 0)"] },

        // Blue-green validation.
        { """{"endpoint": "fraud", "version": 2, "strategy": "blue-green", "blue_green": {"validation": {"agreement": {"min_agreement": 2, "outputs": "label", "sampels": 5}}}}""", ["blue_green.validation.agreement.sampels: unknown key (did you mean 'samples'?)", "blue_green.validation.agreement.min_agreement: 2 is out of range (expected from 0 to 1)", "blue_green.validation.agreement.outputs: expected a list of output names, e.g. [label]"] },
        { """{"endpoint": "fraud", "version": 2, "strategy": "blue-green", "blue_green": {"validation": 5}}""", ["blue_green.validation: expected a mapping (e.g. 'agreement: {samples: 50}') or null to skip validation"] },

        // Shadow.
        { """{"endpoint": "fraud", "version": 2, "strategy": "shadow", "shadow": {"percent": 0, "queue": 0, "gate": {"min_agrement": 0.9, "max_latency_p99_ratio": 0.5}}}""", ["shadow.gate.min_agrement: unknown key (did you mean 'min_agreement'?)", "shadow.gate.max_latency_p99_ratio: 0.5 is out of range (expected >= 1)", "shadow.percent: 0 is out of range (expected above 0, up to 100)", "shadow.queue: 0 is below the minimum 1"] },

        // Experiments.
        { """{"endpoint": "fraud", "strategy": "ab"}""", ["ab: required for strategy ab (the arms, e.g. 'ab: {variants: [{version: 1, weight: 50}, {version: 2, weight: 50}]}'); the highest arm is the version deployed"] },
        { """{"endpoint": "fraud", "strategy": "ab", "ab": {"variants": [{"version": 1, "weight": 50}, {"version": 2, "weight": 40}]}}""", ["ab.variants: weights add up to 90, expected 100"] },
        { """{"endpoint": "fraud", "strategy": "ab", "ab": {"variants": [{"version": 1, "weight": 100}]}}""", ["ab.variants: an experiment needs at least two arms, got 1"] },
        { """{"endpoint": "fraud", "strategy": "ab", "ab": {"variants": [{"version": 2, "weight": 50}, {"version": 2, "weight": 50}]}}""", ["ab.variants: version 2 is listed 2 times"] },
        { """{"endpoint": "fraud", "strategy": "ab", "ab": {"variants": [{"version": 1, "weight": 0}, {"version": 2}]}}""", ["ab.variants[0].weight: 0 is out of range (expected above 0, up to 100)", "ab.variants[1]: needs a version (>= 1) and a weight (above 0, up to 100)"] },
        { """{"endpoint": "fraud", "strategy": "bandit", "ab": {""" + Arms + """, "kind": "ordinal", "metirc": "x", "update_interval": 60}}""", ["ab.metirc: unknown key (did you mean 'metric'?)", "ab.kind: unknown kind 'ordinal' (expected binary or continuous)", $"ab.update_interval: 60 has no unit ({Expected}; e.g. 60s)"] },
    };

    [Theory]
    [MemberData(nameof(Specs))]
    public async Task BothPaths_GiveTheSameVerdictAndMessages(string spec, string[] expected)
    {
        var problems = new List<string>();
        var offline = DeploymentSpecSource.Parse(spec, "spec.yaml", problems);
        Assert.Empty(problems);
        var (cli, _) = offline!.Check();

        using var http = new HttpClient { BaseAddress = server.Url };
        using var response = await http.PostAsync(new Uri("admin/deployments?dry_run=true", UriKind.Relative), new StringContent(spec, Encoding.UTF8, "application/json"));
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(expected, cli.Problems);
        if (expected.Length == 0)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(DeploymentSpecWriter.ToJson(cli.Spec!)), answer["spec"]), answer.ToJsonString());
        }
        else
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(expected, answer["problems"]!.AsArray().Select(p => (string)p!));
        }
    }

    [Fact]
    public async Task UsherDeployDryRun_AgainstTheServer_PrintsItsVerdict_AndStartsNothing()
    {
        var file = Path.Combine(Path.GetTempPath(), $"usher-spec-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, "endpoint: fraud\nversion: 1\nstrategy: canary\ncanary:\n  steps: [10, 100]\n");
        try
        {
            var run = await RunAsync("deploy", file, "--interval", "2m", "--dry-run", "--server", server.Url.ToString());

            Assert.True(run.ExitCode == 0, run.Error);
            Assert.StartsWith("dry run: the server accepts this deployment of fraud version 1 to fraud (canary); nothing was started. As it would run:\n", run.Output, StringComparison.Ordinal);
            var printed = JsonNode.Parse(run.Output[(run.Output.IndexOf('\n', StringComparison.Ordinal) + 1)..])!;
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"steps":[10,100],"interval":"2m"}"""), printed["canary"]), printed.ToJsonString());

            // Nothing started: the endpoint has never had a rollout.
            using var http = new HttpClient { BaseAddress = server.Url };
            using var status = await http.GetAsync(new Uri("admin/endpoints/fraud/rollout", UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task UsherDeploy_InvalidFile_IsRefusedOffline_WithLinesAndFlags_AndExits2()
    {
        var file = Path.Combine(Path.GetTempPath(), $"usher-spec-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, "endpoint: fraud\nversion: 2\nstrategy: blue-green\ncanary:\n  steps: [100]\n");
        try
        {
            // A server that does not exist: the offline check answers before any request.
            var run = await RunAsync("deploy", file, "--rollback-window", "0s", "--dry-run", "--server", "http://127.0.0.1:9");

            Assert.Equal(2, run.ExitCode);
            Assert.Contains($"  - {file} line 4: canary: applies only to strategy canary or shadow, not blue-green; remove the section or set strategy: canary\n", run.Error, StringComparison.Ordinal);
            Assert.Contains($"  - {file} line 5: canary.steps: [100] leaves no step to analyze", run.Error, StringComparison.Ordinal);
            Assert.Contains($"  - --rollback-window: blue_green.rollback_window: '0s' is not above zero ({Expected})\n", run.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<CliRun> RunAsync(params string[] args)
    {
        var environment = new ClientEnvironment(() => new HttpClientHandler(), _ => null, new FakeTimeProvider(CliRun.Now));
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var exit = await UsherRootCommand.InvokeAsync(args, new System.CommandLine.InvocationConfiguration { Output = output, Error = error }, environment);
        return new CliRun(exit, output.ToString(), error.ToString());
    }
}
