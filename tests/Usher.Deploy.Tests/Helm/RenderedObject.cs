using YamlDotNet.RepresentationModel;

namespace Usher.Deploy.Tests.Helm;

/// <summary>One object of a rendered chart: its YAML, its tree, and (for built-in kinds) its typed model.</summary>
internal sealed record RenderedObject(string Source, string ApiVersion, string Kind, string Name, string Yaml, YamlMappingNode Tree, object? Typed)
{
    public override string ToString() => $"{ApiVersion} {Kind} {Name} ({Source})";
}
