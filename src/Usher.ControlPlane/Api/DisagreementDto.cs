using Usher.ControlPlane.Shadow;

namespace Usher.ControlPlane.Api;

/// <summary>A request on which the shadow disagreed (or failed).</summary>
/// <param name="At">When.</param>
/// <param name="Inputs">The request's inputs.</param>
/// <param name="PrimaryOutputs">The primary's outputs.</param>
/// <param name="ShadowOutputs">The shadow's outputs, or null when it failed.</param>
/// <param name="Error">The shadow's error, or null.</param>
public sealed record DisagreementDto(DateTimeOffset? At, IReadOnlyList<TensorDto>? Inputs, IReadOnlyList<TensorDto>? PrimaryOutputs, IReadOnlyList<TensorDto>? ShadowOutputs, string? Error)
{
    /// <summary>The wire form of <paramref name="d"/>.</summary>
    internal static DisagreementDto From(ShadowDisagreement d)
    {
        ArgumentNullException.ThrowIfNull(d);
        return new DisagreementDto(
            d.At,
            [.. d.Inputs.Select(TensorDto.From)],
            [.. d.Primary.Select(TensorDto.From)],
            d.Shadow is null ? null : [.. d.Shadow.Select(TensorDto.From)],
            d.Error);
    }
}
