using Usher.Core.Models.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Usher.Core.Models;

/// <summary>
/// Parses and validates a model's <c>config.yaml</c>. Unknown keys, wrong types and broken rules are
/// all collected and reported together, each naming its key path, e.g.
/// <c>config.yaml: max_batch_sise: unknown key (did you mean 'max_batch_size'?)</c>.
/// </summary>
internal static class ModelConfigParser
{
    /// <summary>Parses YAML text; an empty text (or comments only) is <see cref="ModelConfig.Default"/>.</summary>
    /// <param name="yamlText">The file's content.</param>
    /// <param name="sourceName">The name that starts every error message, e.g. <c>config.yaml</c> or <c>mnist/config.yaml</c>.</param>
    public static ModelConfigParseResult Parse(string yamlText, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(yamlText);
        ArgumentNullException.ThrowIfNull(sourceName);

        var stream = new YamlStream();
        try
        {
            YamlDepth.Check(yamlText);
            using var text = new StringReader(yamlText);
            stream.Load(text);
        }
        catch (YamlException e)
        {
            return ModelConfigParseResult.Failure([InvalidYaml(e, sourceName)]);
        }
        catch (ArgumentException e)
        {
            // YamlDotNet throws these, not a YamlException, on some broken documents (found by fuzzing: its
            // representation model on "\0 :\t-m", its parser on the tag "!!!!!!!!+$!!"); they carry no position.
            var why = e.ParamName == "parser"
                ? "a node of an unexpected kind; check for control characters and stray '-', ':' or tabs"
                : e.Message.Split(" (Parameter", 2, StringSplitOptions.None)[0];
            return ModelConfigParseResult.Failure([new ModelConfigError(sourceName, null, $"invalid YAML: {why}")]);
        }

        if (stream.Documents.Count > 1)
        {
            var line = YamlReader.LineOf(stream.Documents[1].RootNode);
            return ModelConfigParseResult.Failure(
                [new ModelConfigError(sourceName, null, $"expected one YAML document, got {stream.Documents.Count}; remove the second '---'", line)]);
        }

        if (stream.Documents.Count == 0 || YamlReader.IsNull(stream.Documents[0].RootNode))
        {
            return ModelConfigParseResult.Success(ModelConfig.Default);
        }

        var reader = new YamlReader(sourceName);
        var config = ModelConfigReader.Read(reader, stream.Documents[0].RootNode);

        // Cross-field rules run even after field errors, so that one pass reports everything; a key
        // whose value was already refused is not blamed a second time for what that refusal left behind.
        var errors = reader.Errors.OrderBy(e => e.Line ?? 0).ToList();
        var refused = errors.Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        errors.AddRange(ModelConfigValidator.Validate(config)
            .Where(e => !refused.Contains(e.Path))
            .Select(e => new ModelConfigError(sourceName, e.Path, e.Message)));
        return errors.Count == 0 ? ModelConfigParseResult.Success(config) : ModelConfigParseResult.Failure(errors);
    }

    /// <summary>Reads and parses a <c>config.yaml</c>; an empty file is <see cref="ModelConfig.Default"/>.</summary>
    /// <param name="path">The file; its errors are reported under this path.</param>
    /// <exception cref="ModelConfigException">The file is not a valid configuration; the message lists every error.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ModelConfig LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.ReadAllText(path), path).GetConfigOrThrow();
    }

    private static ModelConfigError InvalidYaml(YamlException e, string sourceName)
    {
        var line = (int)Math.Min(e.Start.Line, int.MaxValue);

        // YamlDotNet's message repeats the position: "(Line: 3, Col: 1, Idx: 20) - (...): text".
        var message = e.Message;
        var separator = message.IndexOf("): ", StringComparison.Ordinal);
        if (message.StartsWith("(Line:", StringComparison.Ordinal) && separator >= 0)
        {
            message = message[(separator + 3)..];
        }

        if (message.StartsWith("Duplicate key", StringComparison.Ordinal))
        {
            message = "a key appears twice in one mapping; keep one";
        }

        return new ModelConfigError(sourceName, null, $"invalid YAML: {message}", line);
    }
}
