using Usher.Core.Inference;

namespace Usher.Core.Tests.Inference;

public sealed class EchoTextTests
{
    [Fact]
    public void Value_Short_IsItself()
        => Assert.Equal("fraud", EchoText.Value("fraud"));

    [Fact]
    public void Value_Long_IsCutTo200_SayingHowLongItWas()
    {
        var echoed = EchoText.Value(new string('a', 100_000));
        Assert.Equal(new string('a', 200) + "... (100000 characters)", echoed);
    }

    [Fact]
    public void Value_NeverSplitsASurrogatePair()
    {
        var text = new string('a', 199) + "\U0001F600" + new string('b', 10);
        var echoed = EchoText.Value(text);
        Assert.StartsWith(new string('a', 199) + "...", echoed, StringComparison.Ordinal);
    }

    [Fact]
    public void Message_Long_KeepsItsStartAndEnd_WithinTheBound()
    {
        var message = "unknown input '" + new string('n', 100_000) + "'; the model's inputs are: 'features' FP32 [-1,30]";
        var cut = EchoText.Message(message);
        Assert.True(cut.Length <= EchoText.MaxMessageLength, $"{cut.Length}");
        Assert.StartsWith("unknown input 'nnn", cut, StringComparison.Ordinal);
        Assert.EndsWith("the model's inputs are: 'features' FP32 [-1,30]", cut, StringComparison.Ordinal);
        Assert.Contains($"of {message.Length} characters cut", cut, StringComparison.Ordinal);
    }

    [Fact]
    public void InferenceError_Message_IsCut_HoweverItIsMade()
    {
        var huge = new string('x', 2_000_000);
        Assert.True(InferenceError.Invalid(huge).Message.Length <= EchoText.MaxMessageLength);
        Assert.True((InferenceError.NotFound("a") with { Message = huge }).Message.Length <= EchoText.MaxMessageLength);
        Assert.Equal("short", InferenceError.Unavailable("short").Message);
    }
}
