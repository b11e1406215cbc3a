namespace ActorStream.SchemaRegistry.Tests;

/// <summary>Compatibility levels applied on registration and by the compatibility endpoint.</summary>
public sealed class CompatibilityLevelTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private const string Text = """{"type":"string"}""";
    private const string Integer = """{"type":"integer"}""";
    private const string Number = """{"type":"number"}""";

    [Theory]
    [InlineData("BACKWARD", true)]
    [InlineData("BACKWARD_TRANSITIVE", false)]
    [InlineData("FULL", false)]
    [InlineData("NONE", true)]
    public async Task Transitive_levels_check_every_live_version_not_only_the_latest(string level, bool accepted)
    {
        // v1 string, v2 integer (registered under NONE); v3 number reads v2's integers but not v1's strings.
        var subject = await SubjectWithAsync("NONE", Text, Integer);
        await Rest.PutAsync(fixture.Http, $"/config/{subject}", $$"""{"compatibility":"{{level}}"}""");

        var response = await Rest.PostAsync(fixture.Http, $"/subjects/{subject}/versions", Rest.Body(Number));

        if (accepted)
        {
            Assert.True(response.Status == 200, response.Body.ToString());
        }
        else
        {
            var message = Rest.AssertError(response, 409, 409);
            Assert.Contains(level == "FULL" ? "FORWARD" : "version 1", message);
        }
    }

    [Theory]
    [InlineData("BACKWARD", false)]
    [InlineData("FORWARD", true)]
    [InlineData("FORWARD_TRANSITIVE", true)]
    [InlineData("FULL", false)]
    public async Task Narrowing_number_to_integer_is_forward_but_not_backward_compatible(string level, bool accepted)
    {
        var subject = await SubjectWithAsync(level, Number);
        var response = await Rest.PostAsync(fixture.Http, $"/subjects/{subject}/versions", Rest.Body(Integer));
        Assert.Equal(accepted ? 200 : 409, response.Status);
    }

    [Fact]
    public async Task The_compatibility_endpoint_checks_a_given_version_or_the_latest_with_verbose_messages()
    {
        var subject = await SubjectWithAsync("NONE", Text, Integer);
        await Rest.PutAsync(fixture.Http, $"/config/{subject}", """{"compatibility":"BACKWARD"}""");

        var againstLatest = await Rest.PostAsync(fixture.Http, $"/compatibility/subjects/{subject}/versions/latest?verbose=true", Rest.Body(Number));
        Assert.True(againstLatest.Body.GetProperty("is_compatible").GetBoolean());

        var againstV1 = await Rest.PostAsync(fixture.Http, $"/compatibility/subjects/{subject}/versions/1?verbose=true", Rest.Body(Number));
        Assert.False(againstV1.Body.GetProperty("is_compatible").GetBoolean());
        var messages = againstV1.Body.GetProperty("messages").EnumerateArray().Select(m => m.GetString()!).ToList();
        Assert.Contains(messages, m => m.Contains("TYPE_CHANGED", StringComparison.Ordinal) && m.Contains("version 1", StringComparison.Ordinal));
        Assert.Contains("compatibility level: BACKWARD", messages);

        var quiet = await Rest.PostAsync(fixture.Http, $"/compatibility/subjects/{subject}/versions/1", Rest.Body(Number));
        Assert.False(quiet.Body.TryGetProperty("messages", out _));

        // A subject without versions accepts any first schema (as Confluent does for 'latest').
        var fresh = await Rest.PostAsync(fixture.Http, $"/compatibility/subjects/{Rest.Subject("fresh")}/versions/latest", Rest.Body(Number));
        Assert.True(fresh.Body.GetProperty("is_compatible").GetBoolean());
    }

    [Fact]
    public async Task The_global_level_applies_to_subjects_without_their_own()
    {
        var subject = await SubjectWithAsync(null, Number);
        Assert.Equal("BACKWARD", (await Rest.GetAsync(fixture.Http, "/config")).Body.GetProperty("compatibilityLevel").GetString());
        Assert.Equal(409, (await Rest.PostAsync(fixture.Http, $"/subjects/{subject}/versions", Rest.Body(Text))).Status);

        await Rest.PutAsync(fixture.Http, "/config", """{"compatibility":"NONE"}""");
        try
        {
            Assert.Equal(200, (await Rest.PostAsync(fixture.Http, $"/subjects/{subject}/versions", Rest.Body(Text))).Status);
        }
        finally
        {
            await Rest.PutAsync(fixture.Http, "/config", """{"compatibility":"BACKWARD"}""");
        }
    }

    private async Task<string> SubjectWithAsync(string? level, params string[] schemas)
    {
        var subject = Rest.Subject("level");
        if (level is not null)
        {
            Assert.Equal(200, (await Rest.PutAsync(fixture.Http, $"/config/{subject}", $$"""{"compatibility":"{{level}}"}""")).Status);
        }

        foreach (var schema in schemas)
        {
            await Rest.RegisterAsync(fixture.Http, subject, schema);
        }

        return subject;
    }
}
