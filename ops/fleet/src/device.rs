//! One simulated gateway's parameters: its own configuration document, CWMP state and
//! attributes under the agent's TR-181/TR-104 tree (`tipring-datamodel`), answering the
//! CPE engine's [`Device`] calls.
//!
//! This is the small equivalent of the agent's `AgentDevice` (agent/agent/src/cwmp.rs),
//! whose constructor and fields are private to `tipring-agent` and which carries what a
//! simulated gateway has no use for (the configuration store on disk, DHCP, the factory
//! URL chain, value-change watching of live port state). What is the same: every value is
//! read from the tree over the gateway's own [`GatewayConfig`] + [`CwmpState`], and a
//! SetParameterValues goes through [`Tree::set`] (validated as a whole, dial plans checked
//! with `tipring-line`'s parser, all or nothing) and replaces the configuration.

use std::sync::Arc;

use tipring_config::GatewayConfig;
use tipring_cpe::{Device, SetFault};
use tipring_cwmp::{
    AddObjectResponse, DeviceId, FaultCode, ParameterAttribute, ParameterInfo, ParameterValue,
    SetParameterAttributesStruct, SetParameterValuesFault, Status,
};
use tipring_datamodel::{
    Attributes, CwmpState, DeviceIdentity, LiveState, SetAttribute, Tree, Value, ValueType,
};

/// A simulated gateway's data model (see the module docs).
pub struct SimDevice {
    /// The configuration in force (what the ACS pushed, once provisioned).
    pub config: GatewayConfig,
    /// ManagementServer settings without a configuration field, and the ParameterKey.
    pub state: CwmpState,
    /// Notification / AccessList.
    pub attributes: Attributes,
    /// DeviceInfo (its own serial number).
    pub identity: DeviceIdentity,
    /// The live snapshot, the same for every gateway of the fleet (idle ports).
    pub live: Arc<LiveState>,
    /// The pre-registration's initial secret (HTTP Basic until the ACS sets a password).
    pub initial_secret: Option<String>,
    /// SetParameterValues calls applied.
    pub sets: u32,
}

impl std::fmt::Debug for SimDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimDevice")
            .field("serial", &self.identity.serial_number)
            .field("sets", &self.sets)
            .finish_non_exhaustive()
    }
}

/// The datamodel's value as a CWMP ParameterValue.
fn to_cwmp(name: String, v: &Value) -> ParameterValue {
    ParameterValue::new(
        name,
        v.to_string(),
        tipring_cwmp::ValueType::from_xsi(v.value_type().xsd_name()),
    )
}

fn fault(f: &tipring_datamodel::ParamFault) -> FaultCode {
    FaultCode(f.code.code())
}

impl SimDevice {
    fn tree(&self) -> Tree<'_> {
        Tree::new(&self.config, &self.state, &self.live, &self.identity)
    }

    /// The device id the provisioner knows it by (`OUI-ProductClass-Serial`), the HTTP
    /// username before the ACS sets one.
    pub fn device_key_id(&self) -> String {
        tipring_acs::model::DeviceKey {
            oui: self.identity.manufacturer_oui.clone(),
            product_class: self.identity.product_class.clone(),
            serial: self.identity.serial_number.clone(),
        }
        .id()
    }

    /// HTTP credentials toward the ACS now: ManagementServer.Username/Password once the
    /// ACS set them, else the device id and the initial secret; `None`: no credentials.
    pub fn credentials(&self) -> Option<(String, String)> {
        let cwmp = self.config.management.cwmp.as_ref();
        if let Some(pw) = cwmp.and_then(|c| c.password.as_ref()) {
            let user = cwmp
                .and_then(|c| c.username.clone())
                .unwrap_or_else(|| self.device_key_id());
            return Some((user, pw.expose().to_string()));
        }
        self.initial_secret
            .as_ref()
            .map(|s| (self.device_key_id(), s.clone()))
    }

    /// Whether the ACS gave this gateway its own ACS password (provisioned).
    pub fn has_acs_password(&self) -> bool {
        self.config
            .management
            .cwmp
            .as_ref()
            .is_some_and(|c| c.password.is_some())
    }
}

impl Device for SimDevice {
    fn device_id(&self) -> DeviceId {
        DeviceId {
            manufacturer: self.identity.manufacturer.clone(),
            oui: self.identity.manufacturer_oui.clone(),
            product_class: self.identity.product_class.clone(),
            serial_number: self.identity.serial_number.clone(),
        }
    }

    fn inform_parameters(&mut self) -> Vec<ParameterValue> {
        self.tree()
            .forced_inform()
            .into_iter()
            .map(|(n, v)| to_cwmp(n, &v))
            .collect()
    }

    fn get_values(&mut self, names: &[String]) -> Result<Vec<ParameterValue>, FaultCode> {
        self.tree()
            .get(names)
            .map(|v| v.into_iter().map(|(n, v)| to_cwmp(n, &v)).collect())
            .map_err(|f| fault(&f))
    }

    fn get_names(&mut self, path: &str, next: bool) -> Result<Vec<ParameterInfo>, FaultCode> {
        self.tree()
            .names(path, next)
            .map(|v| {
                v.into_iter()
                    .map(|(name, writable)| ParameterInfo { name, writable })
                    .collect()
            })
            .map_err(|f| fault(&f))
    }

    fn set_values(&mut self, values: &[ParameterValue], key: &str) -> Result<Status, SetFault> {
        let writes: Vec<(String, String, Option<ValueType>)> = values
            .iter()
            .map(|p| {
                let ty = match &p.kind {
                    tipring_cwmp::ValueType::Unknown(_) => None,
                    k => ValueType::from_xsd(k.local_name()),
                };
                (p.name.clone(), p.value.clone(), ty)
            })
            .collect();
        let check = |plan: &str| {
            plan.parse::<tipring_line::dialplan::DialPlan>()
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        let applied = self
            .tree()
            .with_dial_plan_check(&check)
            .set(&writes)
            .map_err(|faults| SetFault {
                code: FaultCode::INVALID_ARGUMENTS,
                parameters: faults
                    .iter()
                    .map(|(name, f)| SetParameterValuesFault {
                        parameter_name: name.clone(),
                        fault_code: fault(f),
                        fault_string: f.message.clone(),
                    })
                    .collect(),
            })?;
        self.config = applied.config;
        self.state = applied.state;
        self.state.parameter_key = key.to_string();
        self.sets += 1;
        Ok(Status::Applied)
    }

    fn get_attributes(&mut self, names: &[String]) -> Result<Vec<ParameterAttribute>, FaultCode> {
        self.tree()
            .get_attributes(&self.attributes, names)
            .map(|v| {
                v.into_iter()
                    .map(|a| ParameterAttribute {
                        name: a.name,
                        notification: tipring_cwmp::Notification::from_u8(a.notification.code())
                            .unwrap_or_default(),
                        access_list: a.access_list,
                    })
                    .collect()
            })
            .map_err(|f| fault(&f))
    }

    fn set_attributes(
        &mut self,
        attributes: &[SetParameterAttributesStruct],
    ) -> Result<(), FaultCode> {
        let changes: Vec<SetAttribute> = attributes
            .iter()
            .map(|a| SetAttribute {
                name: a.name.clone(),
                notification: a
                    .notification_change
                    .then(|| u32::from(a.notification.as_u8())),
                access_list: a.access_list_change.then(|| a.access_list.clone()),
            })
            .collect();
        self.attributes = self
            .tree()
            .set_attributes(&self.attributes, &changes)
            .map_err(|f| fault(&f))?;
        Ok(())
    }

    fn add_object(&mut self, object: &str, _key: &str) -> Result<AddObjectResponse, FaultCode> {
        self.tree()
            .add_object(object)
            .map(|instance_number| AddObjectResponse {
                instance_number,
                status: Status::Applied,
            })
            .map_err(|f| fault(&f))
    }

    fn delete_object(&mut self, object: &str, _key: &str) -> Result<Status, FaultCode> {
        self.tree()
            .delete_object(object)
            .map(|()| Status::Applied)
            .map_err(|f| fault(&f))
    }

    fn accepts_upload(&self, _file_type: &str) -> Result<(), FaultCode> {
        // A simulated gateway has no log or configuration file to send.
        Err(FaultCode::REQUEST_DENIED)
    }
}
