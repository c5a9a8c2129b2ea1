using k8s;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Usher.Deploy.Tests.Schemas;

/// <summary>
/// A custom resource's field whose type is a Kubernetes one (a ScaledObject's HPA behavior is an
/// autoscaling/v2 HorizontalPodAutoscalerBehavior): checked by that type's model, strictly.
/// </summary>
internal sealed class TypedSchema<T> : FieldSchema
{
    public override IEnumerable<string> Check(YamlNode node, string path)
    {
        var stream = new YamlStream(new YamlDocument(node));
        using var text = new StringWriter();
        stream.Save(text, assignAnchors: false);
        try
        {
            KubernetesYaml.Deserialize<T>(text.ToString(), strict: true);
            return [];
        }
        catch (YamlException e)
        {
            return [$"{path}: not a {typeof(T).Name}: {e.Message}"];
        }
    }
}
