//! `tessera org …`: organizations from the command line (organization plugin): list them, show
//! one with its members, and add a member, Better Auth's server-only `addMember`, which has no
//! HTTP route.

use std::process::ExitCode;

use anyhow::Context;
use tessera_core::config::Config;
use tessera_core::plugins::organization::{MEMBER, ORGANIZATION, TEAM};
use tessera_core::schema::USER;
use tessera_core::timefmt::to_iso_ms;
use tessera_store::{FindMany, Row, SortBy, Store, Where};

fn require_plugin(cfg: &Config) -> anyhow::Result<()> {
    if !cfg.plugins.organization {
        anyhow::bail!(
            "organizations belong to the organization plugin: enable it (plugins = [\"organization\", …])"
        );
    }
    Ok(())
}

fn text<'a>(row: &'a Row, column: &str) -> &'a str {
    row.text(column).unwrap_or("")
}

/// An organization by id, else by slug.
async fn find_organization(store: &dyn Store, key: &str) -> anyhow::Result<Option<Row>> {
    for column in ["id", "slug"] {
        if let Some(row) = store
            .find_row(ORGANIZATION, &[Where::eq(column, key)])
            .await
            .context("cannot read organizations")?
        {
            return Ok(Some(row));
        }
    }
    Ok(None)
}

/// One line per organization, oldest first: id, slug, member count, name.
pub async fn list(cfg: &Config) -> anyhow::Result<ExitCode> {
    require_plugin(cfg)?;
    let store = crate::serve::open_store(cfg).await?;
    let mut offset = 0;
    const PAGE: u64 = 500;
    loop {
        let page = store
            .find_rows(
                ORGANIZATION,
                &FindMany {
                    sort_by: Some(SortBy::asc("createdAt")),
                    limit: Some(PAGE),
                    offset: Some(offset),
                    ..FindMany::default()
                },
            )
            .await
            .context("cannot read organizations")?;
        for organization in &page {
            let id = text(organization, "id");
            let members = store
                .count_rows(MEMBER, &[Where::eq("organizationId", id)])
                .await
                .context("cannot count members")?;
            println!(
                "{id}\t{}\t{members} members\t{}",
                text(organization, "slug"),
                text(organization, "name")
            );
        }
        if (page.len() as u64) < PAGE {
            break;
        }
        offset += PAGE;
    }
    Ok(ExitCode::SUCCESS)
}

/// The organization (by id or slug) and its members, oldest first, with their roles.
pub async fn show(cfg: &Config, key: &str) -> anyhow::Result<ExitCode> {
    require_plugin(cfg)?;
    let store = crate::serve::open_store(cfg).await?;
    let Some(organization) = find_organization(store.as_ref(), key).await? else {
        eprintln!("no organization has this id or slug");
        return Ok(ExitCode::from(1));
    };
    let id = text(&organization, "id");
    println!("id: {id}");
    println!("name: {}", text(&organization, "name"));
    println!("slug: {}", text(&organization, "slug"));
    if let Some(created) = organization.date("createdAt") {
        println!("created: {}", to_iso_ms(created));
    }
    if let Some(metadata) = organization.text("metadata") {
        println!("metadata: {metadata}");
    }
    if cfg.organization.teams.enabled {
        let teams = store
            .find_rows(
                TEAM,
                &FindMany {
                    limit: None,
                    ..FindMany::filter(vec![Where::eq("organizationId", id)])
                },
            )
            .await
            .context("cannot read teams")?;
        for team in &teams {
            println!("team: {}\t{}", text(team, "id"), text(team, "name"));
        }
    }
    let total = store
        .count_rows(MEMBER, &[Where::eq("organizationId", id)])
        .await
        .context("cannot count members")?;
    println!("members: {total}");
    let mut offset = 0;
    const PAGE: u64 = 500;
    loop {
        let members = store
            .find_rows(
                MEMBER,
                &FindMany {
                    sort_by: Some(SortBy::asc("createdAt")),
                    limit: Some(PAGE),
                    offset: Some(offset),
                    ..FindMany::filter(vec![Where::eq("organizationId", id)])
                },
            )
            .await
            .context("cannot read members")?;
        let ids: Vec<&str> = members.iter().map(|m| text(m, "userId")).collect();
        let users = if ids.is_empty() {
            Vec::new()
        } else {
            store
                .find_rows(
                    USER,
                    &FindMany {
                        limit: Some(ids.len() as u64),
                        ..FindMany::filter(vec![Where::is_in("id", ids)])
                    },
                )
                .await
                .context("cannot read users")?
        };
        for member in &members {
            let email = users
                .iter()
                .find(|u| u.text("id") == member.text("userId"))
                .map_or("", |u| text(u, "email"));
            println!(
                "  {}\t{}\t{}\t{email}",
                text(member, "id"),
                text(member, "role"),
                text(member, "userId")
            );
        }
        if (members.len() as u64) < PAGE {
            break;
        }
        offset += PAGE;
    }
    Ok(ExitCode::SUCCESS)
}

/// Makes the user (by email) a member of the organization (by id or slug) with `role`
/// (comma-separated roles allowed), optionally in a team.
pub async fn add_member(
    cfg: Config,
    organization: &str,
    email: &str,
    role: &str,
    team: Option<&str>,
) -> anyhow::Result<ExitCode> {
    require_plugin(&cfg)?;
    let store = crate::serve::open_store(&cfg).await?;
    let Some(found) = find_organization(store.as_ref(), organization).await? else {
        eprintln!("no organization has this id or slug");
        return Ok(ExitCode::from(1));
    };
    let Some(user) = store
        .find_user_by_email(&email.to_lowercase())
        .await
        .context("cannot read users")?
    else {
        eprintln!("no user with that email");
        return Ok(ExitCode::from(1));
    };
    let roles: Vec<String> = tessera_core::plugins::organization_access::role_names(role)
        .map(str::to_owned)
        .collect();
    let organization_id = text(&found, "id").to_owned();
    let state = tessera_server::AppState::new(cfg, store).map_err(anyhow::Error::msg)?;
    match tessera_server::plugins::organization::add_member(
        &state,
        &organization_id,
        &user.id,
        &roles,
        team,
    )
    .await
    {
        Ok(member) => {
            eprintln!(
                "user {} is now a member ({}) of organization {organization_id}: member {}",
                user.id,
                text(&member, "role"),
                text(&member, "id")
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("cannot add the member: {error}");
            Ok(ExitCode::from(1))
        }
    }
}
