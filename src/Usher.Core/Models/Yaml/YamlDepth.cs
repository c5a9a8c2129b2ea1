using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Usher.Core.Models.Yaml;

/// <summary>
/// Refuses YAML nested deeper than <see cref="MaxDepth"/> before it is loaded: YamlDotNet builds its
/// representation tree (and our readers walk it) by recursion, so a file of a few thousand '[' would
/// otherwise end the process with a stack overflow. The check streams the parser's events, without
/// recursion or a tree.
/// </summary>
internal static class YamlDepth
{
    /// <summary>The deepest nesting of mappings and sequences accepted; real files use under ten.</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// Throws a <see cref="YamlException"/> at the node that goes past <see cref="MaxDepth"/>, or after the
    /// last node read when YamlDotNet's scanner gives up on the text.
    /// </summary>
    public static void Check(string yamlText)
    {
        var parser = new Parser(new StringReader(yamlText));
        var depth = 0;
        var read = Mark.Empty;
        try
        {
            while (parser.MoveNext())
            {
                read = parser.Current!.End;
                switch (parser.Current)
                {
                    case MappingStart or SequenceStart:
                        if (++depth > MaxDepth)
                        {
                            var at = parser.Current!;
                            throw new YamlException(at.Start, at.End, $"nested more than {MaxDepth} levels deep");
                        }

                        break;
                    case MappingEnd or SequenceEnd:
                        depth--;
                        break;
                }
            }
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner fails this way, not with a YamlException, on some broken flow collections
            // (a '[' inside a key of a '{ ... }' mapping, found by ModelConfigProperties): it is invalid YAML.
            throw new YamlException(read, read, "the text after this point cannot be read; check the brackets and braces ('[', ']', '{', '}') of the flow collection there");
        }
    }
}
