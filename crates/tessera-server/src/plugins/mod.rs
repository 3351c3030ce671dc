//! Plugins as units. A plugin is one folder here (its routes, hooks and error codes) plus one line
//! in [`Registry::from_config`]. Flows never name a plugin: at each hook point they ask the
//! registry, which asks every enabled plugin in config order, the order Better Auth runs its
//! `plugins` array in. Each hook has a no-op default, so a plugin implements only the points it
//! cares about (kanidm runs its write-path plugins the same way).
//!
//! The hook points are Better Auth's: before sign-up and before update-user (its `hooks.before`
//! on those paths), the defaults and protected fields of a new user (its schema's `defaultValue`
//! and `input: false`), the gate after the first factor (two-factor's `hooks.after` on sign-in),
//! before session create (admin's `databaseHooks.session.create.before`), which sessions
//! list-sessions shows, the error a unique column's conflict is answered with, after sign-up (its
//! `hooks.after` on `/sign-up`), and who sends the verification email (email-otp's
//! `overrideDefaultEmailVerification`).
//!
//! Two points stand for Better Auth's `hooks.after` on the cookies of a response:
//! [`Plugin::after_session_created`], called by `session::create` (and by the one flow that creates
//! a session by hand, impersonation) once a new session and its cookies exist, with the request's
//! headers, so that a plugin can see what the browser already holds and add `Set-Cookie` lines of
//! its own (multi-session's per-session cookies); and [`Plugin::on_sign_out`], called by sign-out
//! after the current session is gone, for the plugin's own clean-up and cookies. Both default to
//! nothing, so a server without such a plugin pays no database read for them.

pub mod admin;
pub mod email_otp;
pub mod magic_link;
pub mod multi_session;
pub mod organization;
pub mod phone_number;
pub mod two_factor;
pub mod username;

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::http::HeaderMap;
use serde_json::{Map, Value};
use tessera_core::config::Config;
use tessera_core::model::{Session, User, UserPatch};
use tessera_core::schema::{Column, Table};

use crate::body::is_truthy;
use crate::delivery::DeliveryError;
use crate::error::{ApiError, codes};
use crate::rate_limit::Rule;
use crate::reply::Reply;
use crate::state::AppState;

/// What the gate after the first factor decides.
pub enum Gate {
    /// Go on and create the session, adding these cookies (e.g. a rotated trust-device cookie).
    Proceed(Vec<String>),
    /// Answer with this instead of a session (e.g. a two-factor challenge).
    Challenge(Reply),
}

/// Which route is signing a new user up: Better Auth's hooks match by path, so a plugin may treat
/// them differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignUpRoute {
    /// `POST /sign-up/email`.
    Email,
    /// A user created by verifying a phone number (`signUpOnVerification`).
    PhoneNumberVerification,
    /// A user created by a social provider's callback or ID token.
    Social,
    /// `POST /admin/create-user`.
    Admin,
    /// A user created by proving an email address (an emailed code, a magic link).
    Passwordless,
}

/// One plugin's share of the server. Every method but [`Plugin::id`] has a no-op default.
#[async_trait]
pub trait Plugin: Send + Sync + 'static {
    /// Better Auth's plugin id (`admin`, `two-factor`, …).
    fn id(&self) -> &'static str;

    /// Tables of the plugin's own, beyond Better Auth's core and built-in plugins' (whose
    /// declarations live in `tessera_core::schema`, the organization plugin's in
    /// `tessera_core::plugins::organization`). The store is opened and migrated with them
    /// (`tessera_store::OpenOptions::extra_tables`); the plugin reads and writes them through the
    /// store's row API.
    fn tables(&self) -> Vec<Table> {
        Vec::new()
    }

    /// Columns the plugin adds to `user` (Better Auth's `schema.user.fields`), each marked
    /// [`Column::in_fields`]. They are migrated, accepted in sign-up and update-user bodies when
    /// `input`, and returned when `returned`, exactly as configured additional fields are; the
    /// plugin reads and writes them through the user's field map. (The built-in plugins declare
    /// theirs in `tessera_core::plugins`, so that the importer sees them too.)
    fn user_fields(&self) -> Vec<Arc<Column>> {
        Vec::new()
    }

    /// Columns the plugin adds to `session`.
    fn session_fields(&self) -> Vec<Arc<Column>> {
        Vec::new()
    }

    /// The plugin's routes, relative to the base path.
    fn router(&self) -> Router<AppState> {
        Router::new()
    }

    /// State of the plugin's own for one server (a cache, a counter), put into the server
    /// state's extensions by type when the state is built; its routes read it back with
    /// `state.extensions.get::<T>()`. Anything kept per client must be bounded.
    fn state(&self, _config: &Config, _extensions: &mut axum::http::Extensions) {}

    /// User fields a client may never set on sign-up or update-user: a truthy value is refused
    /// with `FIELD_NOT_ALLOWED` (Better Auth's `input: false` without a default).
    fn protected_user_fields(&self) -> &'static [&'static str] {
        &[]
    }

    /// The plugin's defaults on a new user, whichever path creates it.
    fn user_defaults(&self, _user: &mut User) {}

    /// Before a user is created: check the request body and fill the plugin's fields from it.
    async fn before_sign_up(
        &self,
        _state: &AppState,
        _route: SignUpRoute,
        _body: &Map<String, Value>,
        _user: &mut User,
    ) -> Result<(), ApiError> {
        Ok(())
    }

    /// After `POST /sign-up/email` made `user` (Better Auth's `hooks.after` on `/sign-up`); run
    /// after the answer is decided, so nothing here can change it or its timing.
    async fn after_sign_up(&self, _state: &AppState, _user: &User) {}

    /// Sends the verification email for `user` in place of the core's link, when the plugin takes
    /// it over (email-otp's `overrideDefaultEmailVerification`); `None` when it does not.
    async fn send_verification_email(
        &self,
        _state: &AppState,
        _user: &User,
    ) -> Option<Result<(), DeliveryError>> {
        None
    }

    /// Before update-user writes: check the body and add the plugin's changes to the patch.
    /// Returns whether the plugin changed anything.
    async fn before_update_user(
        &self,
        _state: &AppState,
        _body: &Map<String, Value>,
        _current: &User,
        _patch: &mut UserPatch,
    ) -> Result<bool, ApiError> {
        Ok(false)
    }

    /// Better Auth's database hooks on a user write that did not come through sign-up or
    /// update-user (the admin routes): check and normalise the plugin's fields in the patch for
    /// user `target`, which is being created when `creating`.
    async fn before_user_write(
        &self,
        _state: &AppState,
        _patch: &mut UserPatch,
        _creating: bool,
        _target: &str,
    ) -> Result<(), ApiError> {
        Ok(())
    }

    /// After the first factor (a right password): proceed to a session, or answer otherwise.
    async fn after_first_factor(
        &self,
        _state: &AppState,
        _user: &User,
        _dont_remember: bool,
        _headers: &HeaderMap,
    ) -> Result<Gate, ApiError> {
        Ok(Gate::Proceed(Vec::new()))
    }

    /// Before any session is created for `user`: refuse it, or let it be.
    async fn before_session_create(&self, _state: &AppState, _user: &User) -> Result<(), ApiError> {
        Ok(())
    }

    /// After a session is created for a response (sign-in, sign-up, a social callback, any flow
    /// that hands the browser a new session cookie): further `Set-Cookie` lines for that response.
    /// `headers` are the request's, so the plugin sees the cookies the browser already holds
    /// (Better Auth's `hooks.after` reading `ctx.context.newSession`). Every `Cookie` header is the
    /// client's to make up: whatever the plugin reads from it must be bounded.
    async fn after_session_created(
        &self,
        _state: &AppState,
        _session: &Session,
        _user: &User,
        _headers: &HeaderMap,
    ) -> Result<Vec<String>, ApiError> {
        Ok(Vec::new())
    }

    /// On sign-out, after the browser's current session is deleted: the plugin's clean-up, and
    /// further `Set-Cookie` lines for the response (Better Auth's `hooks.after` on `/sign-out`).
    async fn on_sign_out(
        &self,
        _state: &AppState,
        _headers: &HeaderMap,
    ) -> Result<Vec<String>, ApiError> {
        Ok(Vec::new())
    }

    /// The plugin's rate-limit rule for a route (relative to the base path), Better Auth's
    /// `rateLimit` with its path matcher.
    fn rate_limit_rule(&self, _route: &str) -> Option<Rule> {
        None
    }

    /// Whether list-sessions shows this session to its user.
    fn lists_session(&self, _session: &Session) -> bool {
        true
    }

    /// The error for a unique-constraint conflict on `column`, when the column is the plugin's.
    fn conflict_error(&self, _column: &str) -> Option<ApiError> {
        None
    }
}

/// The enabled plugins, in config order.
#[derive(Clone, Default)]
pub struct Registry {
    plugins: Vec<Arc<dyn Plugin>>,
}

impl Registry {
    /// The plugins the config enables, in the order it names them.
    pub fn from_config(config: &Config) -> Registry {
        let mut registry = Registry::default();
        for id in config.plugin_order() {
            let plugin: Arc<dyn Plugin> = match id {
                admin::ID => Arc::new(admin::AdminPlugin),
                two_factor::ID => Arc::new(two_factor::TwoFactorPlugin),
                username::ID => Arc::new(username::UsernamePlugin),
                phone_number::ID => Arc::new(phone_number::PhoneNumberPlugin),
                organization::ID => Arc::new(organization::OrganizationPlugin),
                email_otp::ID => Arc::new(email_otp::EmailOtpPlugin),
                magic_link::ID => Arc::new(magic_link::MagicLinkPlugin),
                multi_session::ID => Arc::new(multi_session::MultiSessionPlugin),
                _ => continue,
            };
            registry.plugins.push(plugin);
        }
        registry
    }

    /// Adds a plugin after the configured ones (an embedding app's own, or a test's).
    pub fn with(mut self, plugin: Arc<dyn Plugin>) -> Registry {
        self.plugins.push(plugin);
        self
    }

    pub fn iter(&self) -> impl Iterator<Item = &dyn Plugin> {
        self.plugins.iter().map(|p| p.as_ref())
    }

    /// Adds the plugins' columns on `user` and `session` to `config`, ahead of the configured
    /// fields (Better Auth merges plugin schemas before `additionalFields`), so that the schema,
    /// the body parser and the wire all see them. A column already there is not added twice.
    pub fn adopt_fields(config: &mut Config, plugins: &[Arc<dyn Plugin>]) {
        fn adopt(into: &mut Vec<Arc<Column>>, fields: Vec<Arc<Column>>) {
            let new: Vec<_> = fields
                .into_iter()
                .filter(|f| !into.iter().any(|c| c.name == f.name))
                .collect();
            into.splice(0..0, new);
        }
        for plugin in plugins.iter().rev() {
            adopt(&mut config.user_fields, plugin.user_fields());
            adopt(&mut config.session_fields, plugin.session_fields());
        }
    }

    /// Every plugin's own tables, in registry order.
    pub fn tables(&self) -> Vec<Table> {
        self.iter().flat_map(|p| p.tables()).collect()
    }

    /// Every plugin's routes.
    /// Every plugin's own state (see [`Plugin::state`]).
    pub fn extensions(&self, config: &Config) -> axum::http::Extensions {
        let mut extensions = axum::http::Extensions::new();
        for plugin in self.iter() {
            plugin.state(config, &mut extensions);
        }
        extensions
    }

    pub fn router(&self) -> Router<AppState> {
        self.iter().fold(Router::new(), |router, plugin| {
            router.merge(plugin.router())
        })
    }

    /// `FIELD_NOT_ALLOWED` for the first protected field the body sets to a truthy value.
    pub fn refuse_protected_fields(&self, body: &Map<String, Value>) -> Result<(), ApiError> {
        let field = self
            .iter()
            .flat_map(|p| p.protected_user_fields())
            .find(|field| body.get(**field).is_some_and(is_truthy));
        match field {
            Some(field) => Err(codes::field_not_allowed(field)),
            None => Ok(()),
        }
    }

    pub fn user_defaults(&self, user: &mut User) {
        for plugin in self.iter() {
            plugin.user_defaults(user);
        }
    }

    pub async fn before_sign_up(
        &self,
        state: &AppState,
        route: SignUpRoute,
        body: &Map<String, Value>,
        user: &mut User,
    ) -> Result<(), ApiError> {
        for plugin in self.iter() {
            plugin.before_sign_up(state, route, body, user).await?;
        }
        Ok(())
    }

    pub async fn after_sign_up(&self, state: &AppState, user: &User) {
        for plugin in self.iter() {
            plugin.after_sign_up(state, user).await;
        }
    }

    /// The first plugin that takes the verification email over sends it.
    pub async fn send_verification_email(
        &self,
        state: &AppState,
        user: &User,
    ) -> Option<Result<(), DeliveryError>> {
        for plugin in self.iter() {
            if let Some(outcome) = plugin.send_verification_email(state, user).await {
                return Some(outcome);
            }
        }
        None
    }

    /// Whether any plugin changed the patch.
    pub async fn before_update_user(
        &self,
        state: &AppState,
        body: &Map<String, Value>,
        current: &User,
        patch: &mut UserPatch,
    ) -> Result<bool, ApiError> {
        let mut changed = false;
        for plugin in self.iter() {
            changed |= plugin
                .before_update_user(state, body, current, patch)
                .await?;
        }
        Ok(changed)
    }

    pub async fn before_user_write(
        &self,
        state: &AppState,
        patch: &mut UserPatch,
        creating: bool,
        target: &str,
    ) -> Result<(), ApiError> {
        for plugin in self.iter() {
            plugin
                .before_user_write(state, patch, creating, target)
                .await?;
        }
        Ok(())
    }

    /// The first plugin that does not proceed answers; the cookies of those that do are kept.
    pub async fn after_first_factor(
        &self,
        state: &AppState,
        user: &User,
        dont_remember: bool,
        headers: &HeaderMap,
    ) -> Result<Gate, ApiError> {
        let mut cookies = Vec::new();
        for plugin in self.iter() {
            match plugin
                .after_first_factor(state, user, dont_remember, headers)
                .await?
            {
                Gate::Proceed(more) => cookies.extend(more),
                challenge @ Gate::Challenge(_) => return Ok(challenge),
            }
        }
        Ok(Gate::Proceed(cookies))
    }

    pub async fn before_session_create(
        &self,
        state: &AppState,
        user: &User,
    ) -> Result<(), ApiError> {
        for plugin in self.iter() {
            plugin.before_session_create(state, user).await?;
        }
        Ok(())
    }

    /// Every plugin's cookies for a response that carries a new session, in plugin order.
    pub async fn after_session_created(
        &self,
        state: &AppState,
        session: &Session,
        user: &User,
        headers: &HeaderMap,
    ) -> Result<Vec<String>, ApiError> {
        let mut cookies = Vec::new();
        for plugin in self.iter() {
            cookies.extend(
                plugin
                    .after_session_created(state, session, user, headers)
                    .await?,
            );
        }
        Ok(cookies)
    }

    /// Every plugin's clean-up on sign-out, and its cookies, in plugin order.
    pub async fn on_sign_out(
        &self,
        state: &AppState,
        headers: &HeaderMap,
    ) -> Result<Vec<String>, ApiError> {
        let mut cookies = Vec::new();
        for plugin in self.iter() {
            cookies.extend(plugin.on_sign_out(state, headers).await?);
        }
        Ok(cookies)
    }

    /// The first enabled plugin's rule for the route.
    pub fn rate_limit_rule(&self, route: &str) -> Option<Rule> {
        self.iter().find_map(|p| p.rate_limit_rule(route))
    }

    pub fn lists_session(&self, session: &Session) -> bool {
        self.iter().all(|p| p.lists_session(session))
    }

    /// The plugin's error for a conflict on one of its columns; `None` for a core column.
    pub fn conflict_error(&self, column: &str) -> Option<ApiError> {
        self.iter().find_map(|p| p.conflict_error(column))
    }
}
