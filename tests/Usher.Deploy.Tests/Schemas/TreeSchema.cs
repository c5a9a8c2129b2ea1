using YamlDotNet.RepresentationModel;

namespace Usher.Deploy.Tests.Schemas;

/// <summary>Any value: for nested structures of a custom resource that the chart never sets (TLS, auth, relabelings).</summary>
internal sealed class TreeSchema : FieldSchema
{
    public override IEnumerable<string> Check(YamlNode node, string path) => [];
}
