using System.Diagnostics.CodeAnalysis;

namespace Usher.Core.Models;

/// <summary>The outcome of parsing a <c>config.yaml</c>: a valid <see cref="ModelConfig"/>, or every error found.</summary>
internal sealed class ModelConfigParseResult
{
    private ModelConfigParseResult(ModelConfig? config, IReadOnlyList<ModelConfigError> errors)
    {
        Config = config;
        Errors = errors;
    }

    /// <summary>The parsed configuration; null when there are errors.</summary>
    public ModelConfig? Config { get; }

    /// <summary>Every error found, in the order of the file, then the cross-field rules; empty on success.</summary>
    public IReadOnlyList<ModelConfigError> Errors { get; }

    /// <summary>True when the text is a valid configuration and <see cref="Config"/> is set.</summary>
    [MemberNotNullWhen(true, nameof(Config))]
    public bool Succeeded => Config is not null;

    /// <summary>The configuration, or a <see cref="ModelConfigException"/> listing every error.</summary>
    public ModelConfig GetConfigOrThrow() => Config ?? throw new ModelConfigException(Errors);

    /// <summary>A successful result.</summary>
    public static ModelConfigParseResult Success(ModelConfig config)
        => new(config ?? throw new ArgumentNullException(nameof(config)), []);

    /// <summary>A failed result; <paramref name="errors"/> must not be empty.</summary>
    public static ModelConfigParseResult Failure(IReadOnlyList<ModelConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0)
        {
            throw new ArgumentException("a failed parse needs at least one error", nameof(errors));
        }

        return new(null, errors);
    }
}
