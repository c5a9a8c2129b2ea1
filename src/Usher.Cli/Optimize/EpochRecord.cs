using System.Text.Json.Serialization;

namespace Usher.Cli.Optimize;

/// <summary>One training epoch.</summary>
internal sealed record EpochRecord(
    [property: JsonPropertyName("epoch")] int Epoch,
    [property: JsonPropertyName("loss")] double Loss,
    [property: JsonPropertyName("held_out_loss")] double HeldOutLoss,
    [property: JsonPropertyName("held_out_agreement")] double HeldOutAgreement);
