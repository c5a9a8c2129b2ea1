using System.Text.RegularExpressions;
using k8s;
using Usher.Deploy.Tests.Schemas;
using Usher.Testing;
using YamlDotNet.RepresentationModel;

namespace Usher.Deploy.Tests.Helm;

/// <summary>
/// The chart <c>deploy/helm/usher</c> rendered by <c>helm template</c> with a values file, each
/// object checked against its schema as it is read: built-in kinds by KubernetesClient's typed
/// models in strict mode (an unknown field or a duplicate key fails), the custom resources by
/// <see cref="CustomResourceSchemas"/>. A kind that is neither fails too.
/// </summary>
internal sealed partial class RenderedChart
{
    public const string ReleaseName = "usher";
    public const string Namespace = "ml";

    public static string ChartPath => RepoRoot.Combine("deploy", "helm", "usher");

    private RenderedChart(IReadOnlyList<RenderedObject> objects, IReadOnlyList<string> problems)
    {
        Objects = objects;
        Problems = problems;
    }

    public IReadOnlyList<RenderedObject> Objects { get; }

    /// <summary>Schema problems, one per line, each naming the object and the field.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>Renders with the chart's values.yaml and then <paramref name="valuesFile"/> (a path under the chart) when given.</summary>
    public static async Task<RenderedChart> RenderAsync(string? valuesFile = null)
    {
        var (exit, output, error) = await RenderRawAsync(valuesFile).ConfigureAwait(false);
        Assert.True(exit == 0, $"helm template exited {exit}: {error}");
        return Parse(output);
    }

    /// <summary>helm template's exit code and output, for the renders that should fail.</summary>
    public static Task<(int Exit, string Output, string Error)> RenderRawAsync(string? valuesFile, params string[] setValues)
    {
        var arguments = new List<string> { "template", ReleaseName, ChartPath, "--namespace", Namespace };
        if (valuesFile is not null)
        {
            arguments.AddRange(["--values", Path.Combine(ChartPath, valuesFile)]);
        }

        foreach (var set in setValues)
        {
            arguments.AddRange(["--set", set]);
        }

        return HelmTool.RunAsync(arguments);
    }

    /// <summary>Reads helm's output: documents separated by <c>---</c> lines, each starting with its <c># Source:</c> comment.</summary>
    public static RenderedChart Parse(string output)
    {
        var objects = new List<RenderedObject>();
        var problems = new List<string>();
        foreach (var document in DocumentSeparator().Split(output))
        {
            var source = SourceComment().Match(document) is { Success: true } m ? m.Groups[1].Value : "(no source)";
            var stream = new YamlStream();
            try
            {
                stream.Load(new StringReader(document));
            }
            catch (YamlDotNet.Core.YamlException e)
            {
                problems.Add($"{source}: {e.Message}"); // a duplicate key, or YAML that does not parse
                continue;
            }

            if (stream.Documents.Count == 0)
            {
                continue; // comments only: a template whose condition was false
            }

            if (stream.Documents[0].RootNode is not YamlMappingNode tree)
            {
                problems.Add($"{source}: a document that is not a mapping");
                continue;
            }

            var apiVersion = Scalar(tree, "apiVersion");
            var kind = Scalar(tree, "kind");
            var name = tree.Children.TryGetValue("metadata", out var meta) && meta is YamlMappingNode metadata ? Scalar(metadata, "name") : string.Empty;
            var label = $"{source} {kind} {name}";
            object? typed = null;
            var schema = (apiVersion, kind) switch
            {
                ("monitoring.coreos.com/v1", "ServiceMonitor") => CustomResourceSchemas.ServiceMonitor,
                ("keda.sh/v1alpha1", "ScaledObject") => CustomResourceSchemas.ScaledObject,
                _ => null,
            };
            if (schema is not null)
            {
                problems.AddRange(schema.Check(tree, string.Empty).Select(p => $"{label}: {p}"));
            }
            else
            {
                try
                {
                    typed = KubernetesYaml.LoadAllFromString(document, strict: true).Single();
                }
                catch (Exception e) when (e is YamlDotNet.Core.YamlException or KeyNotFoundException or InvalidOperationException)
                {
                    problems.Add($"{label}: {e.Message}{(e.InnerException is { } inner ? ": " + inner.Message : string.Empty)}");
                }
            }

            objects.Add(new RenderedObject(source, apiVersion, kind, name, document, tree, typed));
        }

        return new RenderedChart(objects, problems);
    }

    /// <summary>The one object of <typeparamref name="T"/>'s kind named <paramref name="name"/> (by default the release's full name).</summary>
    public T Get<T>(string name = ReleaseName)
        where T : class
        => All<T>().SingleOrDefault(o => Name(o) == name)
            ?? throw new Xunit.Sdk.XunitException($"no {typeof(T).Name} named {name}; rendered: {string.Join(", ", Objects)}"
                + (Problems.Count > 0 ? "; schema problems: " + string.Join("; ", Problems) : string.Empty));

    public IEnumerable<T> All<T>()
        where T : class
        => Objects.Select(o => o.Typed).OfType<T>();

    public IEnumerable<RenderedObject> OfKind(string kind) => Objects.Where(o => o.Kind == kind);

    private static string Name(object typed) => ((IKubernetesObject<k8s.Models.V1ObjectMeta>)typed).Metadata.Name;

    private static string Scalar(YamlMappingNode node, string key)
        => node.Children.TryGetValue(key, out var value) && value is YamlScalarNode { Value: { } text } ? text : string.Empty;

    [GeneratedRegex(@"^---\s*$", RegexOptions.Multiline)]
    private static partial Regex DocumentSeparator();

    [GeneratedRegex(@"^# Source: (\S+)", RegexOptions.Multiline)]
    private static partial Regex SourceComment();
}
