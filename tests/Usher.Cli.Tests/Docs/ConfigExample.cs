using System.Text.Json;
using System.Text.RegularExpressions;
using Usher.Cli.Commands;
using Usher.ControlPlane.Deployments;
using Usher.Core.Models;
using Usher.Core.Models.Yaml;
using Usher.Server.Admin;
using Usher.Server.Hosting;
using Usher.Streaming.Hosting;

namespace Usher.Cli.Tests.Docs;

/// <summary>
/// One configuration example of the docs (a fenced block, or one entry of a block that lists
/// alternatives), what kind it is, and the real loader that reads that kind.
/// </summary>
/// <param name="Fence">The block it comes from.</param>
/// <param name="Offset">The example's first line within the block (0 for the whole block).</param>
/// <param name="Text">The example's text.</param>
internal sealed partial record ConfigExample(DocFence Fence, int Offset, string Text)
{
    /// <summary>The kind that <c>usher serve</c>'s settings loader (and its <c>streams:</c> reader) reads.</summary>
    public const string UsherYaml = "usher.yaml";

    /// <summary>A model's config.yaml (with its <c>rollout</c> section read as the control plane reads it).</summary>
    public const string ModelConfigYaml = "config.yaml";

    /// <summary>A deployment spec: <c>usher deploy</c>'s YAML file or the admin API's JSON body.</summary>
    public const string DeploymentSpec = "deployment spec";

    /// <summary>The admin API's body of a fault.</summary>
    public const string Fault = "fault body";

    /// <summary>Configuration of other programs (Kubernetes, Prometheus), which Usher does not read.</summary>
    private static readonly (string Key, string Owner)[] Foreign =
    [
        ("apiVersion", "a Kubernetes object"),
        ("scrape_configs", "Prometheus's configuration"),
        ("rules", "prometheus-adapter's configuration"),
    ];

    /// <summary>Where the example starts in its doc.</summary>
    public string Where => $"{Fence.File}:{Fence.Line + Offset}";

    /// <summary>
    /// The examples of a YAML block: the block, or, when a top-level key repeats (a list of
    /// alternatives, one a line), each top-level entry on its own.
    /// </summary>
    public static IReadOnlyList<ConfigExample> Split(DocFence fence)
    {
        var lines = fence.Text.Split('\n');
        var tops = lines.Select((line, i) => (Key: TopKey(line), Index: i)).Where(t => t.Key is not null).ToList();
        if (tops.Select(t => t.Key).Distinct(StringComparer.Ordinal).Count() == tops.Count)
        {
            return [new ConfigExample(fence, 0, fence.Text)];
        }

        return [.. tops.Select((t, n) => new ConfigExample(
            fence,
            t.Index,
            string.Join('\n', lines[t.Index..(n + 1 < tops.Count ? tops[n + 1].Index : lines.Length)])))];
    }

    /// <summary>The top-level keys of a YAML text (column 0, not a comment, not a list item).</summary>
    public static IReadOnlyList<string> TopKeys(string yaml) => [.. yaml.Split('\n').Select(TopKey).OfType<string>()];

    /// <summary>
    /// The kind of a YAML example by its top-level keys: the kind whose keys hold most of them (so that
    /// a misspelt key still reaches the loader that names it), a foreign program's, or null.
    /// </summary>
    public static string? KindOfYaml(IReadOnlyList<string> keys, out string? foreignOwner)
    {
        foreignOwner = Foreign.FirstOrDefault(f => keys.Contains(f.Key)).Owner;
        if (foreignOwner is not null)
        {
            return null;
        }

        var scores = new (string Kind, int Count)[]
        {
            (UsherYaml, keys.Count(k => SettingsSchema.IsSection(k) || k == SettingsSchema.StreamsSection)),
            (ModelConfigYaml, keys.Count(ModelConfigReader.Keys.Contains)),
            (DeploymentSpec, keys.Count(DeploymentSpecParser.TopKeys.Contains)),
        };
        var best = scores.MaxBy(s => s.Count);
        return best.Count > 0 ? best.Kind : null;
    }

    /// <summary>
    /// The kind of a JSON example: a deployment spec or a fault when most of its keys are theirs (a dry
    /// run's answer holds a spec under <c>spec</c>); null for an answer or a protocol message.
    /// </summary>
    public static string? KindOfJson(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var keys = root.EnumerateObject().Select(p => p.Name).ToList();
        if (keys.Contains("dry_run") && keys.Contains("spec"))
        {
            return DeploymentSpec;
        }

        return keys.Count(DeploymentSpecParser.TopKeys.Contains) * 2 > keys.Count ? DeploymentSpec
            : keys.Count(FaultBody.Keys.Contains) * 2 > keys.Count ? Fault
            : null;
    }

    /// <summary>
    /// Loads the example through the real loader of <paramref name="kind"/> and returns every problem
    /// it reports (none when it loads). <paramref name="scratch"/> is an empty folder to write files in.
    /// </summary>
    public IReadOnlyList<string> Load(string kind, string scratch) => kind switch
    {
        UsherYaml => LoadSettings(scratch),
        ModelConfigYaml => LoadModelConfig(),
        DeploymentSpec when Fence.Info == "json" => LoadSpecJson(),
        DeploymentSpec => LoadSpecYaml(),
        Fault => LoadFault(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no loader for this kind"),
    };

    // As `usher serve --config usher.yaml --model-repository DIR` loads it, with no USHER_ variables:
    // a folder path names the reader's machine, so the repository is a folder that exists here.
    private List<string> LoadSettings(string scratch)
    {
        var file = Path.Combine(scratch, "usher.yaml");
        File.WriteAllText(file, Text);
        Directory.CreateDirectory(Path.Combine(scratch, "models"));
        var problems = new List<string>();
        try
        {
            UsherSettings.Load(file, new Dictionary<string, string> { ["repository:path"] = Path.Combine(scratch, "models") }, new Dictionary<string, string>());
        }
        catch (SettingsException e)
        {
            // A file the example names (a certificate under /etc) is the reader's: that it is not on
            // this machine says nothing about the example.
            problems.AddRange(e.Errors.Where(p => MissingFile().Match(p) is not { Success: true } m || !Text.Contains(m.Groups["path"].Value, StringComparison.Ordinal)));
        }

        try
        {
            StreamsConfig.Load(file);
        }
        catch (StreamsConfigException e)
        {
            problems.AddRange(e.Problems);
        }

        return problems;
    }

    // As the repository reads it, then its rollout section as the control plane does when a new version appears.
    private List<string> LoadModelConfig()
    {
        var parsed = ModelConfigParser.Parse(Text, "config.yaml");
        var problems = parsed.Errors.Select(e => e.ToString()).ToList();
        if (parsed.Config?.RolloutJson is { } rollout)
        {
            problems.AddRange(DeploymentSpecParser.Parse(rollout, "fraud", 2).Problems.Select(p => $"config.yaml: rollout.{p}"));
        }

        return problems;
    }

    // As `usher deploy FILE` reads it: the YAML as the admin API's JSON, checked by the server's parser.
    private List<string> LoadSpecYaml()
    {
        var problems = new List<string>();
        if (DeploymentSpecSource.Parse(Text, "spec.yaml", problems) is { } source)
        {
            problems.AddRange(source.Check().Messages);
        }

        return problems;
    }

    // As the admin API reads a body; a dry run's answer holds the spec as the server would run it,
    // which the same parser must accept again.
    private List<string> LoadSpecJson()
    {
        using var document = JsonDocument.Parse(Text);
        var spec = document.RootElement.TryGetProperty("spec", out var inner) ? inner : document.RootElement;
        return [.. DeploymentSpecParser.Parse(spec).Problems];
    }

    // As PUT /admin/endpoints/{e}/faults/{version} reads it (whether a named replica is up is the registry's to say).
    private List<string> LoadFault()
    {
        using var document = JsonDocument.Parse(Text);
        var problems = new List<string>();
        FaultBody.Read(document.RootElement, problems);
        return problems;
    }

    private static string? TopKey(string line)
    {
        var match = TopKeyPattern().Match(line);
        return match.Success ? match.Groups["key"].Value : null;
    }

    [GeneratedRegex(@": the file '(?<path>/[^']+)' does not exist$")]
    private static partial Regex MissingFile();

    [GeneratedRegex(@"^(?<key>[A-Za-z_][\w-]*)\s*:(\s|$)")]
    private static partial Regex TopKeyPattern();
}
